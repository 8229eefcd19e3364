import { errors } from "../errors";
import { header, isTrue, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newEtag, newUserRid, nowSeconds } from "../resource-ids";
import type { DatabaseRecord } from "../store/store";
import type { UserRecord } from "../store/user-store";
import { requestUnits } from "../throughput/request-units";
import { databaseSelf, requireDatabase, type EmulatorContext } from "./context";
import { validateResourceName } from "./names";
import { listResources, queryResources } from "./resource-query";

export const userSelf = (database: DatabaseRecord, user: UserRecord) =>
  `${databaseSelf(database)}users/${user.rid}/`;

function userResource(database: DatabaseRecord, user: UserRecord): Record<string, unknown> {
  return {
    id: user.id,
    _rid: user.rid,
    _self: userSelf(database, user),
    _etag: user.etag,
    _permissions: "permissions/",
    _ts: user.ts,
  };
}

/** 404 for the user itself; 404/1003 (owner missing) when the caller addresses one of its permissions. */
export function requireUser(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  asOwner: boolean,
): { database: DatabaseRecord; user: UserRecord } {
  const database = requireDatabase(ctx, databaseId, true);
  const user = ctx.store.users.getUser(database.rid, id);
  if (!user) throw asOwner ? errors.ownerNotFound(`dbs/${databaseId}/users/${id}`) : errors.notFound();
  return { database, user };
}

/** `If-Match` on a replace or delete: 412 unless it names the resource's current etag. */
export function checkIfMatch(request: CosmosRequest, etag: string): void {
  const ifMatch = header(request, "if-match");
  if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== etag) throw errors.preconditionFailed();
}

export function listUsers(ctx: EmulatorContext, databaseId: string): CosmosResponse {
  const database = requireDatabase(ctx, databaseId, true);
  const users = ctx.store.users.listUsers(database.rid).map((u) => userResource(database, u));
  return listResources(users, database.rid, "Users");
}

export function queryUsers(ctx: EmulatorContext, databaseId: string, request: CosmosRequest): CosmosResponse {
  const database = requireDatabase(ctx, databaseId, true);
  const users = ctx.store.users.listUsers(database.rid).map((u) => userResource(database, u));
  return queryResources(request, users, database.rid, "Users");
}

/** POST on the users feed: a create (409 if the id is taken), or with `x-ms-documentdb-is-upsert` an upsert. */
export function createOrUpsertUser(
  ctx: EmulatorContext,
  databaseId: string,
  request: CosmosRequest,
): CosmosResponse {
  const id = validateResourceName("user", jsonBody<{ id?: unknown }>(request).id);
  const upsert = isTrue(request, "x-ms-documentdb-is-upsert");
  return ctx.store.transaction(() => {
    const database = requireDatabase(ctx, databaseId, true);
    const existing = ctx.store.users.getUser(database.rid, id);
    if (existing && !upsert)
      throw errors.conflict(`User '${id}' already exists in database '${databaseId}'.`);
    if (existing) checkIfMatch(request, existing.etag);
    const user: UserRecord = {
      databaseRid: database.rid,
      id,
      rid: existing?.rid ?? newUserRid(database.rid),
      ts: nowSeconds(),
      etag: newEtag(),
    };
    ctx.store.users.putUser(user);
    return json(existing ? 200 : 201, userResource(database, user), requestUnits.metadata());
  });
}

export function readUser(ctx: EmulatorContext, databaseId: string, id: string): CosmosResponse {
  const { database, user } = requireUser(ctx, databaseId, id, false);
  return json(200, userResource(database, user), requestUnits.metadata());
}

/** A replace may rename the user; its permissions follow it (they belong to its rid). */
export function replaceUser(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const newId = validateResourceName("user", jsonBody<{ id?: unknown }>(request).id);
  return ctx.store.transaction(() => {
    const { database, user } = requireUser(ctx, databaseId, id, false);
    checkIfMatch(request, user.etag);
    if (newId !== id && ctx.store.users.getUser(database.rid, newId)) {
      throw errors.conflict(`User '${newId}' already exists in database '${databaseId}'.`);
    }
    const replaced: UserRecord = { ...user, id: newId, ts: nowSeconds(), etag: newEtag() };
    ctx.store.users.putUser(replaced);
    return json(200, userResource(database, replaced), requestUnits.metadata());
  });
}

export function deleteUser(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  return ctx.store.transaction(() => {
    const { user } = requireUser(ctx, databaseId, id, false);
    checkIfMatch(request, user.etag);
    ctx.store.users.deleteUser(user.rid);
    return { status: 204, requestCharge: requestUnits.metadata() };
  });
}
