import { errors } from "./errors";
import { isTrue, type CosmosRequest, type CosmosResponse } from "./protocol";
import { readAccount } from "./handlers/account";
import { executeBatch } from "./handlers/batch";
import { withinBudget } from "./throughput/admission";
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
import { listConflicts, missingConflict, queryConflicts } from "./handlers/conflicts";
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
import { deleteAllItemsForPartitionKey } from "./handlers/partition-key-delete";
import { queryItems, queryPlan, readAllItems } from "./handlers/queries";
import {
  createOrUpsertPermission,
  deletePermission,
  listPermissions,
  queryPermissions,
  readPermission,
  replacePermission,
} from "./handlers/permissions";
import {
  createOrUpsertUser,
  deleteUser,
  listUsers,
  queryUsers,
  readUser,
  replaceUser,
} from "./handlers/users";
import {
  createScript,
  deleteScript,
  listScripts,
  queryScripts,
  readScript,
  replaceScript,
} from "./handlers/scripts";
import { executeStoredProcedure } from "./handlers/stored-procedures";
import type { ScriptKind } from "./store/script-store";
import type { ContainerRecord } from "./store/store";

/**
 * The gateway's REST surface as one table: each row is a verb, a name-based path pattern (`:name` captures a
 * segment) and the handler, with an optional header test for the calls that share a verb and a path (the
 * feed of `…/docs` carries change feed, query plan, batch, query, and create or upsert). Rows are tried in
 * order; the first that matches answers.
 */
type Params = Record<string, string>;
type Handler = (ctx: EmulatorContext, request: CosmosRequest, params: Params) => CosmosResponse;
type ContainerHandler = (
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
  params: Params,
) => CosmosResponse;

interface Route {
  verb: string;
  path: string[];
  when?: (request: CosmosRequest) => boolean;
  handle: Handler;
}

function row(verb: string, path: string, handle: Handler, when?: Route["when"]): Route {
  return { verb, path: path.split("/").filter(Boolean), handle, when };
}

/** The addressed container (404/1003 when it or its database is missing), for a handler that meters itself. */
function inContainer(handle: ContainerHandler): Handler {
  return (ctx, request, params) =>
    handle(ctx, requireContainer(ctx, params.db, params.coll, true), request, params);
}

/** Like `inContainer`, with the container's throughput admitting (429) and charging the request. */
function withinContainerBudget(handle: ContainerHandler): Handler {
  return inContainer((ctx, container, request, params) =>
    withinBudget(ctx, container, () => handle(ctx, container, request, params)),
  );
}

const isQuery = (request: CosmosRequest) => isTrue(request, "x-ms-documentdb-isquery");
const isQueryPlan = (request: CosmosRequest) => isTrue(request, "x-ms-cosmos-is-query-plan-request");
const isBatch = (request: CosmosRequest) => isTrue(request, "x-ms-cosmos-is-batch-request");

const container = "dbs/:db/colls/:coll";
const items = `${container}/docs`;
const item = `${items}/:item`;
const user = "dbs/:db/users/:user";
const permissions = `${user}/permissions`;
const permission = `${permissions}/:permission`;

/** Stored procedures, triggers and UDFs share their CRUD rows; a procedure's `POST` by id executes it. */
const scriptRoutes = (["sprocs", "triggers", "udfs"] as ScriptKind[]).flatMap((kind) => {
  const feed = `${container}/${kind}`;
  const script = `${feed}/:script`;
  return [
    row(
      "GET",
      feed,
      inContainer((ctx, c) => listScripts(ctx, c, kind)),
    ),
    row(
      "POST",
      feed,
      inContainer((ctx, c, request) => queryScripts(ctx, c, kind, request)),
      isQuery,
    ),
    row(
      "POST",
      feed,
      inContainer((ctx, c, request) => createScript(ctx, c, kind, request)),
    ),
    row(
      "GET",
      script,
      inContainer((ctx, c, _request, p) => readScript(ctx, c, kind, p.script)),
    ),
    row(
      "PUT",
      script,
      inContainer((ctx, c, request, p) => replaceScript(ctx, c, kind, p.script, request)),
    ),
    row(
      "DELETE",
      script,
      inContainer((ctx, c, request, p) => deleteScript(ctx, c, kind, p.script, request)),
    ),
  ];
});

const routes: Route[] = [
  row("GET", "", (ctx, request) => readAccount(ctx, request)),

  row("GET", "offers", (ctx) => listOffers(ctx)),
  row("POST", "offers", (ctx, request) => queryOffers(ctx, request)),
  row("GET", "offers/:offer", (ctx, _request, { offer }) => readOffer(ctx, offer)),
  row("PUT", "offers/:offer", (ctx, request, { offer }) => replaceOffer(ctx, offer, request)),

  row("GET", "dbs", (ctx) => listDatabases(ctx)),
  row("POST", "dbs", (ctx, request) => queryDatabases(ctx, request), isQuery),
  row("POST", "dbs", (ctx, request) => createDatabase(ctx, request)),
  row("GET", "dbs/:db", (ctx, _request, { db }) => readDatabase(ctx, db)),
  row("DELETE", "dbs/:db", (ctx, _request, { db }) => deleteDatabase(ctx, db)),

  row("GET", "dbs/:db/users", (ctx, _request, { db }) => listUsers(ctx, db)),
  row("POST", "dbs/:db/users", (ctx, request, { db }) => queryUsers(ctx, db, request), isQuery),
  row("POST", "dbs/:db/users", (ctx, request, { db }) => createOrUpsertUser(ctx, db, request)),
  row("GET", user, (ctx, _request, { db, user }) => readUser(ctx, db, user)),
  row("PUT", user, (ctx, request, { db, user }) => replaceUser(ctx, db, user, request)),
  row("DELETE", user, (ctx, request, { db, user }) => deleteUser(ctx, db, user, request)),
  row("GET", permissions, (ctx, request, { db, user }) => listPermissions(ctx, db, user, request)),
  row("POST", permissions, (ctx, request, { db, user }) => queryPermissions(ctx, db, user, request), isQuery),
  row("POST", permissions, (ctx, request, { db, user }) => createOrUpsertPermission(ctx, db, user, request)),
  row("GET", permission, (ctx, request, { db, user, permission }) =>
    readPermission(ctx, db, user, permission, request),
  ),
  row("PUT", permission, (ctx, request, { db, user, permission }) =>
    replacePermission(ctx, db, user, permission, request),
  ),
  row("DELETE", permission, (ctx, request, { db, user, permission }) =>
    deletePermission(ctx, db, user, permission, request),
  ),

  row("GET", "dbs/:db/colls", (ctx, _request, { db }) => listContainers(ctx, db)),
  row("POST", "dbs/:db/colls", (ctx, request, { db }) => queryContainers(ctx, db, request), isQuery),
  row("POST", "dbs/:db/colls", (ctx, request, { db }) => createContainer(ctx, db, request)),
  row("GET", container, (ctx, request, { db, coll }) => readContainer(ctx, db, coll, request)),
  row("PUT", container, (ctx, request, { db, coll }) => replaceContainer(ctx, db, coll, request)),
  row("DELETE", container, (ctx, _request, { db, coll }) => deleteContainer(ctx, db, coll)),
  row(
    "POST",
    `${container}/operations/partitionkeydelete`,
    withinContainerBudget(deleteAllItemsForPartitionKey),
  ),
  row("GET", `${container}/pkranges`, (ctx, request, { db, coll }) =>
    listPartitionKeyRanges(ctx, db, coll, request),
  ),

  row("GET", items, withinContainerBudget(readChangeFeed), isChangeFeedRead),
  row("GET", items, withinContainerBudget(readAllItems)),
  row(
    "POST",
    items,
    inContainer((_ctx, _container, request) => queryPlan(request)),
    isQueryPlan,
  ),
  // A batch meters itself: a bulk request is admitted and charged operation by operation.
  row("POST", items, inContainer(executeBatch), isBatch),
  row("POST", items, withinContainerBudget(queryItems), isQuery),
  row("POST", items, withinContainerBudget(createOrUpsertItem)),
  row(
    "GET",
    item,
    withinContainerBudget((ctx, c, request, p) => getItem(ctx, c, p.item, request)),
  ),
  row(
    "PUT",
    item,
    withinContainerBudget((ctx, c, request, p) => replaceItem(ctx, c, p.item, request)),
  ),
  row(
    "PATCH",
    item,
    withinContainerBudget((ctx, c, request, p) => patchItemRequest(ctx, c, p.item, request)),
  ),
  row(
    "DELETE",
    item,
    withinContainerBudget((ctx, c, request, p) => removeItem(ctx, c, p.item, request)),
  ),

  ...scriptRoutes,
  row(
    "POST",
    `${container}/sprocs/:script`,
    withinContainerBudget((ctx, c, request, p) => executeStoredProcedure(ctx, c, p.script, request)),
  ),

  row(
    "GET",
    `${container}/conflicts`,
    inContainer((_ctx, c) => listConflicts(c)),
  ),
  row(
    "POST",
    `${container}/conflicts`,
    inContainer((_ctx, c, request) => queryConflicts(c, request)),
  ),
  row("GET", `${container}/conflicts/:conflict`, inContainer(missingConflict)),
  row("DELETE", `${container}/conflicts/:conflict`, inContainer(missingConflict)),
];

/** The captured segments when `segments` has the pattern's shape, else undefined. */
function matchPath(pattern: string[], segments: string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (const [index, part] of pattern.entries()) {
    if (part.startsWith(":")) params[part.slice(1)] = segments[index];
    else if (part !== segments[index]) return undefined;
  }
  return params;
}

/** Maps a REST call to its handler by path shape, verb and headers, as the gateway does. */
export function route(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  for (const candidate of routes) {
    if (candidate.verb !== request.method) continue;
    const params = matchPath(candidate.path, request.segments);
    if (params && (candidate.when?.(request) ?? true)) return candidate.handle(ctx, request, params);
  }
  throw errors.methodNotAllowed(request.method, `/${request.segments.join("/")}`);
}
