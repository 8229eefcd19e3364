import { errors } from "./errors";
import { isTrue, type CosmosRequest, type CosmosResponse } from "./protocol";
import { readAccount } from "./handlers/account";
import { executeBatch } from "./handlers/batch";
import { withinBudget } from "./handlers/budget";
import { isChangeFeedRead, readChangeFeed } from "./handlers/change-feed";
import {
  createContainer,
  deleteContainer,
  listContainers,
  listPartitionKeyRanges,
  queryContainers,
  readContainer,
  replaceContainer,
} from "./handlers/containers";
import { requireContainer, type EmulatorContext } from "./handlers/context";
import {
  createDatabase,
  deleteDatabase,
  listDatabases,
  queryDatabases,
  readDatabase,
} from "./handlers/databases";
import { createOrUpsertItem, getItem, patchItemRequest, removeItem, replaceItem } from "./handlers/items";
import { listOffers, queryOffers, readOffer, replaceOffer } from "./handlers/offers";
import { queryItems, queryPlan, readAllItems } from "./handlers/queries";
import { routeUsers } from "./handlers/user-routes";

/** Maps a REST call to its handler by path shape and verb, as the gateway does. */
export function route(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  const s = request.segments;
  const m = request.method;
  const isQuery = isTrue(request, "x-ms-documentdb-isquery");
  const unsupported = () => errors.methodNotAllowed(m, `/${s.join("/")}`);

  if (s.length === 0 && m === "GET") return readAccount(ctx);
  if (s[0] === "offers") {
    if (s.length === 1 && m === "GET") return listOffers(ctx);
    if (s.length === 1 && m === "POST") return queryOffers(ctx, request);
    if (s.length === 2 && m === "GET") return readOffer(ctx, s[1]);
    if (s.length === 2 && m === "PUT") return replaceOffer(ctx, s[1], request);
    throw unsupported();
  }
  if (s[0] !== "dbs") throw unsupported();
  if (s[2] === "users") return routeUsers(ctx, request);
  const [, databaseId, , containerId, child, itemId] = s;
  switch (s.length) {
    case 1:
      if (m === "GET") return listDatabases(ctx);
      if (m === "POST") return isQuery ? queryDatabases(ctx, request) : createDatabase(ctx, request);
      break;
    case 2:
      if (m === "GET") return readDatabase(ctx, databaseId);
      if (m === "DELETE") return deleteDatabase(ctx, databaseId);
      break;
    case 3:
      if (s[2] !== "colls") break;
      if (m === "GET") return listContainers(ctx, databaseId);
      if (m === "POST") {
        return isQuery
          ? queryContainers(ctx, databaseId, request)
          : createContainer(ctx, databaseId, request);
      }
      break;
    case 4:
      if (m === "GET") return readContainer(ctx, databaseId, containerId, request);
      if (m === "PUT") return replaceContainer(ctx, databaseId, containerId, request);
      if (m === "DELETE") return deleteContainer(ctx, databaseId, containerId);
      break;
    case 5:
      if (child === "pkranges" && m === "GET")
        return listPartitionKeyRanges(ctx, databaseId, containerId, request);
      if (child === "docs") return routeItemFeed(ctx, request, databaseId, containerId);
      break;
    case 6:
      if (child === "docs") return routeItem(ctx, request, databaseId, containerId, itemId);
      break;
  }
  throw unsupported();
}

function routeItemFeed(
  ctx: EmulatorContext,
  request: CosmosRequest,
  databaseId: string,
  containerId: string,
) {
  const container = requireContainer(ctx, databaseId, containerId, true);
  if (request.method === "GET") {
    return withinBudget(ctx, container, () =>
      isChangeFeedRead(request)
        ? readChangeFeed(ctx, container, request)
        : readAllItems(ctx, container, request),
    );
  }
  if (request.method !== "POST") throw errors.methodNotAllowed(request.method, "docs");
  if (isTrue(request, "x-ms-cosmos-is-query-plan-request")) return queryPlan(request);
  if (isTrue(request, "x-ms-cosmos-is-batch-request")) return executeBatch(ctx, container, request);
  if (isTrue(request, "x-ms-documentdb-isquery"))
    return withinBudget(ctx, container, () => queryItems(ctx, container, request));
  return withinBudget(ctx, container, () => createOrUpsertItem(ctx, container, request));
}

function routeItem(
  ctx: EmulatorContext,
  request: CosmosRequest,
  databaseId: string,
  containerId: string,
  itemId: string,
) {
  const container = requireContainer(ctx, databaseId, containerId, true);
  const handlers: Record<string, () => CosmosResponse> = {
    GET: () => getItem(ctx, container, itemId, request),
    PUT: () => replaceItem(ctx, container, itemId, request),
    PATCH: () => patchItemRequest(ctx, container, itemId, request),
    DELETE: () => removeItem(ctx, container, itemId, request),
  };
  const handle = handlers[request.method];
  if (!handle) throw errors.methodNotAllowed(request.method, "docs");
  return withinBudget(ctx, container, handle);
}
