import { errors } from "../errors";
import { header, isTrue, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newEtag, newPermissionRid, nowSeconds } from "../resource-ids";
import type { DatabaseRecord } from "../store/store";
import type { PermissionRecord, UserRecord } from "../store/user-store";
import { requestUnits } from "../throughput/request-units";
import type { EmulatorContext } from "./context";
import { validateResourceName } from "./names";
import { resolvePermissionScope } from "./permission-scope";
import { listResources, queryResources } from "./resource-query";
import { checkIfMatch, requireUser, userSelf } from "./users";

/** How long a resource token lives unless `x-ms-documentdb-expiry-seconds` says otherwise, and its bounds. */
const tokenLifetime = { defaultSeconds: 3600, minSeconds: 10, maxSeconds: 18000 };

const permissionModes = ["read", "all"];

interface PermissionBody {
  id?: unknown;
  permissionMode?: unknown;
  resource?: unknown;
  resourcePartitionKey?: unknown;
}

interface Owner {
  database: DatabaseRecord;
  user: UserRecord;
}

/**
 * Every GET, PUT and POST on a permission returns a fresh `_token`, valid for the requested lifetime; the
 * token names this version of the permission, so replacing or deleting the permission revokes it.
 */
function permissionResource(
  ctx: EmulatorContext,
  owner: Owner,
  permission: PermissionRecord,
  request: CosmosRequest,
): Record<string, unknown> {
  const issuedAt = nowSeconds();
  return {
    id: permission.id,
    permissionMode: permission.permissionMode,
    resource: permission.resource,
    ...(permission.resourcePartitionKey === undefined
      ? {}
      : { resourcePartitionKey: permission.resourcePartitionKey }),
    _rid: permission.rid,
    _self: `${userSelf(owner.database, owner.user)}permissions/${permission.rid}/`,
    _etag: permission.etag,
    _token: ctx.resourceTokens.issue({
      permissionRid: permission.rid,
      permissionEtag: permission.etag,
      issuedAt,
      expiresAt: issuedAt + tokenLifetimeSeconds(request),
    }),
    _ts: permission.ts,
  };
}

function tokenLifetimeSeconds(request: CosmosRequest): number {
  const requested = header(request, "x-ms-documentdb-expiry-seconds");
  if (requested === undefined) return tokenLifetime.defaultSeconds;
  const seconds = Number(requested);
  if (
    !Number.isInteger(seconds) ||
    seconds < tokenLifetime.minSeconds ||
    seconds > tokenLifetime.maxSeconds
  ) {
    throw errors.badRequest(
      `The x-ms-documentdb-expiry-seconds header '${requested}' is not valid: a resource token lives from ${tokenLifetime.minSeconds} to ${tokenLifetime.maxSeconds} seconds (five hours).`,
    );
  }
  return seconds;
}

function requirePermission(ctx: EmulatorContext, owner: Owner, id: string): PermissionRecord {
  const permission = ctx.store.users.getPermission(owner.user.rid, id);
  if (!permission) throw errors.notFound();
  return permission;
}

/** The body of a create, upsert or replace, checked and resolved; `rid`, `ts` and `etag` are the caller's. */
function permissionFrom(
  ctx: EmulatorContext,
  owner: Owner,
  body: PermissionBody,
): Omit<PermissionRecord, "rid" | "ts" | "etag"> {
  const id = validateResourceName("permission", body.id);
  const mode = body.permissionMode;
  if (typeof mode !== "string" || !permissionModes.includes(mode.toLowerCase())) {
    throw errors.badRequest(
      `The permission mode '${String(mode)}' of permission '${id}' is not valid: use "Read" or "All".`,
    );
  }
  const scope = resolvePermissionScope(ctx, owner.database, body.resource, body.resourcePartitionKey);
  return {
    userRid: owner.user.rid,
    id,
    permissionMode: mode,
    resource: body.resource as string,
    ...(body.resourcePartitionKey === undefined ? {} : { resourcePartitionKey: body.resourcePartitionKey }),
    scope,
  };
}

/** A user holds at most one permission per resource (and partition key), as on the service: 409 otherwise. */
function checkOnePermissionPerResource(
  ctx: EmulatorContext,
  permission: Pick<PermissionRecord, "userRid" | "id" | "resource" | "scope">,
  replacedRid: string | undefined,
): void {
  const scope = JSON.stringify(permission.scope);
  const clash = ctx.store.users
    .listPermissions(permission.userRid)
    .find((other) => other.rid !== replacedRid && JSON.stringify(other.scope) === scope);
  if (clash) {
    throw errors.conflict(
      `Permission '${clash.id}' of this user already covers resource '${permission.resource}'; a user holds one permission per resource.`,
    );
  }
}

function checkIdFree(ctx: EmulatorContext, owner: Owner, id: string, replacedRid: string): void {
  const holder = ctx.store.users.getPermission(owner.user.rid, id);
  if (holder && holder.rid !== replacedRid) {
    throw errors.conflict(`Permission '${id}' already exists for user '${owner.user.id}'.`);
  }
}

export function listPermissions(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  request: CosmosRequest,
): CosmosResponse {
  const owner = requireUser(ctx, databaseId, userId, true);
  return listResources(permissionResources(ctx, owner, request), owner.user.rid, "Permissions");
}

export function queryPermissions(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  request: CosmosRequest,
): CosmosResponse {
  const owner = requireUser(ctx, databaseId, userId, true);
  return queryResources(request, permissionResources(ctx, owner, request), owner.user.rid, "Permissions");
}

/** Every permission of the user, each with a fresh `_token`. */
function permissionResources(ctx: EmulatorContext, owner: Owner, request: CosmosRequest) {
  return ctx.store.users
    .listPermissions(owner.user.rid)
    .map((p) => permissionResource(ctx, owner, p, request));
}

/** POST on a user's permissions: a create (409 if the id is taken), or with `x-ms-documentdb-is-upsert` an upsert. */
export function createOrUpsertPermission(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  request: CosmosRequest,
): CosmosResponse {
  const body = jsonBody<PermissionBody>(request);
  const upsert = isTrue(request, "x-ms-documentdb-is-upsert");
  return ctx.store.transaction(() => {
    const owner = requireUser(ctx, databaseId, userId, true);
    const definition = permissionFrom(ctx, owner, body);
    const existing = ctx.store.users.getPermission(owner.user.rid, definition.id);
    if (existing && !upsert) {
      throw errors.conflict(`Permission '${definition.id}' already exists for user '${userId}'.`);
    }
    if (existing) checkIfMatch(request, existing.etag);
    checkOnePermissionPerResource(ctx, definition, existing?.rid);
    const permission: PermissionRecord = {
      ...definition,
      rid: existing?.rid ?? newPermissionRid(owner.user.rid),
      ts: nowSeconds(),
      etag: newEtag(),
    };
    ctx.store.users.putPermission(permission);
    return json(
      existing ? 200 : 201,
      permissionResource(ctx, owner, permission, request),
      requestUnits.metadata(),
    );
  });
}

export function readPermission(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const owner = requireUser(ctx, databaseId, userId, true);
  const permission = requirePermission(ctx, owner, id);
  return json(200, permissionResource(ctx, owner, permission, request), requestUnits.metadata());
}

/** A replace may rename the permission and change what it grants; tokens read before it stop working. */
export function replacePermission(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const body = jsonBody<PermissionBody>(request);
  return ctx.store.transaction(() => {
    const owner = requireUser(ctx, databaseId, userId, true);
    const existing = requirePermission(ctx, owner, id);
    checkIfMatch(request, existing.etag);
    const definition = permissionFrom(ctx, owner, body);
    checkIdFree(ctx, owner, definition.id, existing.rid);
    checkOnePermissionPerResource(ctx, definition, existing.rid);
    const permission: PermissionRecord = {
      ...definition,
      rid: existing.rid,
      ts: nowSeconds(),
      etag: newEtag(),
    };
    ctx.store.users.putPermission(permission);
    return json(200, permissionResource(ctx, owner, permission, request), requestUnits.metadata());
  });
}

export function deletePermission(
  ctx: EmulatorContext,
  databaseId: string,
  userId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  return ctx.store.transaction(() => {
    const owner = requireUser(ctx, databaseId, userId, true);
    const permission = requirePermission(ctx, owner, id);
    checkIfMatch(request, permission.etag);
    ctx.store.users.deletePermission(permission.rid);
    return { status: 204, requestCharge: requestUnits.metadata() };
  });
}
