import { errors } from "../errors";
import { isTrue, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { EmulatorContext } from "./context";
import {
  createOrUpsertPermission,
  deletePermission,
  listPermissions,
  queryPermissions,
  readPermission,
  replacePermission,
} from "./permissions";
import { createOrUpsertUser, deleteUser, listUsers, queryUsers, readUser, replaceUser } from "./users";

type Handler = () => CosmosResponse;

/**
 * `dbs/{db}/users[/{user}[/permissions[/{permission}]]]`, by path length and verb. A POST on a feed is a
 * query with `x-ms-documentdb-isquery`, else a create (an upsert with `x-ms-documentdb-is-upsert`).
 */
export function routeUsers(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  const [, databaseId, , userId, permissions, permissionId] = request.segments;
  const isQuery = isTrue(request, "x-ms-documentdb-isquery");
  const byLength: Record<number, Record<string, Handler>> = {
    3: {
      GET: () => listUsers(ctx, databaseId),
      POST: () =>
        isQuery ? queryUsers(ctx, databaseId, request) : createOrUpsertUser(ctx, databaseId, request),
    },
    4: {
      GET: () => readUser(ctx, databaseId, userId),
      PUT: () => replaceUser(ctx, databaseId, userId, request),
      DELETE: () => deleteUser(ctx, databaseId, userId, request),
    },
    5: {
      GET: () => listPermissions(ctx, databaseId, userId, request),
      POST: () =>
        isQuery
          ? queryPermissions(ctx, databaseId, userId, request)
          : createOrUpsertPermission(ctx, databaseId, userId, request),
    },
    6: {
      GET: () => readPermission(ctx, databaseId, userId, permissionId, request),
      PUT: () => replacePermission(ctx, databaseId, userId, permissionId, request),
      DELETE: () => deletePermission(ctx, databaseId, userId, permissionId, request),
    },
  };
  const wellFormed = request.segments.length < 5 || permissions === "permissions";
  const handle = wellFormed ? byLength[request.segments.length]?.[request.method] : undefined;
  if (!handle) throw errors.methodNotAllowed(request.method, `/${request.segments.join("/")}`);
  return handle();
}
