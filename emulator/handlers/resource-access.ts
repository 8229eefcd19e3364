import { errors } from "../errors";
import { header, isTrue, type CosmosRequest } from "../protocol";
import type { ResourceTokenClaims } from "../resource-tokens";
import type { PermissionRecord, PermissionScope } from "../store/user-store";
import type { EmulatorContext } from "./context";

const insufficientPermissions = () =>
  errors.forbidden(
    "Insufficient permissions provided in the authorization header for the corresponding request. Please retry with another authorization header.",
  );

/**
 * What a request signed with a resource token may do, as the service allows it: the permission the token
 * was read from must still exist unchanged (401 otherwise), and must cover the request (403 otherwise).
 *
 * A permission covers its container or item and nothing above or beside it: no database, user, offer or
 * other container. `Read` allows reads and queries, `All` writes and deletes too. Reading the account and
 * the container's own definition and partition key ranges is allowed to any permission inside the
 * container, because the SDK must read them to route the requests the permission does cover. A permission
 * with `resourcePartitionKey` covers only requests sent with that partition key.
 */
export function authorizeResourceToken(
  ctx: EmulatorContext,
  claims: ResourceTokenClaims,
  request: CosmosRequest,
): void {
  const permission = ctx.store.users.getPermissionByRid(claims.permissionRid);
  if (!permission || permission.etag !== claims.permissionEtag) {
    throw errors.unauthorized(
      "The resource token's permission was replaced or deleted after the token was issued; read the permission again for a valid token.",
    );
  }
  if (!covers(ctx, permission, request)) throw insufficientPermissions();
}

function covers(ctx: EmulatorContext, permission: PermissionRecord, request: CosmosRequest): boolean {
  const reads = isRead(request);
  const s = request.segments;
  if (s.length === 0) return reads;
  if (s[0] !== "dbs" || s[2] !== "colls" || s.length < 4) return false;
  const container = ctx.store.getContainer(s[1], s[3]);
  if (!container || container.rid !== permission.scope.containerRid) return false;
  if (!reads && permission.permissionMode.toLowerCase() !== "all") return false;
  const below = s.slice(4);
  const routingMetadata =
    below.length === 0 || below[0] === "pkranges" || isTrue(request, "x-ms-cosmos-is-query-plan-request");
  if (routingMetadata && reads) return true;
  return withinScope(permission.scope, below, request);
}

/** Whether a request below the permission's container (or on it, to change it) is inside its scope. */
function withinScope(scope: PermissionScope, below: string[], request: CosmosRequest): boolean {
  const partitionKey = requestPartitionKey(request);
  if (scope.itemId !== undefined) {
    const sameItem = below.length === 2 && below[0] === "docs" && below[1] === scope.itemId;
    return sameItem && (scope.itemPartitionKey === undefined || partitionKey === scope.itemPartitionKey);
  }
  if (scope.partitionKey !== undefined) return below.length > 0 && partitionKey === scope.partitionKey;
  return true;
}

function isRead(request: CosmosRequest): boolean {
  if (request.method === "GET" || request.method === "HEAD") return true;
  return (
    request.method === "POST" &&
    (isTrue(request, "x-ms-documentdb-isquery") || isTrue(request, "x-ms-cosmos-is-query-plan-request"))
  );
}

/** The request's partition key as canonical JSON (the SDK may escape non-ASCII characters in it). */
function requestPartitionKey(request: CosmosRequest): string | undefined {
  const value = header(request, "x-ms-documentdb-partitionkey");
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(value));
  } catch {
    return undefined;
  }
}
