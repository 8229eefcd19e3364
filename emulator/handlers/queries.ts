import { errors } from "../errors";
import { executeQuery, parametersFromSpec, parseQuery, readsDocuments } from "../query/evaluate";
import type { ParsedQuery } from "../query/parser";
import {
  feedBody,
  header,
  jsonBody,
  maxItemCount,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
import type { ContainerRecord, ItemScope, ScanPosition } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { requireRange, type EmulatorContext } from "./context";
import { canonicalPartitionKey, renderItem } from "./item-operations";

/**
 * Item queries run whole on the server, across every partition, so the SDK never needs its client-side
 * query pipeline. Queries that produce at most one row per item stream through storage (partition by
 * partition, in row order) with a position continuation, examining a bounded number of items per page; the
 * rest (ORDER BY, aggregates, DISTINCT, TOP, OFFSET) are evaluated in full per page.
 */
const defaultPageSize = 100;
const unlimitedPageSize = 1000;
/** Items a streaming page examines at most, however few of them match. */
const scanBudget = 10_000;

interface QuerySpec {
  query: string;
  parameters?: { name: string; value: unknown }[];
}

type Continuation = ScanPosition | { offset: number };

/** What the SDK's query pipeline needs to run the query as sent: a single range covering everything. */
export function queryPlan(request: CosmosRequest): CosmosResponse {
  const spec = jsonBody<QuerySpec>(request);
  parseQuery(spec.query);
  const plan = {
    partitionedQueryExecutionInfoVersion: 2,
    queryInfo: {
      distinctType: "None",
      orderBy: [],
      orderByExpressions: [],
      groupByExpressions: [],
      groupByAliases: [],
      aggregates: [],
      groupByAliasToAggregateType: {},
      rewrittenQuery: "",
      hasSelectValue: false,
      hasNonStreamingOrderBy: false,
    },
    queryRanges: [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }],
  };
  return { status: 200, body: JSON.stringify(plan), requestCharge: 0 };
}

function isStreaming(query: ParsedQuery): boolean {
  return !query.distinct && !query.top && !query.orderBy && !query.offset && !query.limit && !query.aggregate;
}

function parseContinuation(request: CosmosRequest): Continuation | undefined {
  const token = header(request, "x-ms-continuation");
  if (!token) return undefined;
  try {
    return JSON.parse(token) as Continuation;
  } catch {
    throw errors.badRequest(`The continuation token ${token} is not valid for this query.`);
  }
}

function scope(ctx: EmulatorContext, container: ContainerRecord, request: CosmosRequest): ItemScope {
  const rangeId = header(request, "x-ms-documentdb-partitionkeyrangeid");
  const partitionKeyHeader = header(request, "x-ms-documentdb-partitionkey");
  const partition =
    rangeId === undefined
      ? undefined
      : requireRange(ctx.store.listPartitions(container.rid), container, rangeId);
  return {
    partition: partition?.index,
    partitionKey: partitionKeyHeader === undefined ? undefined : canonicalPartitionKey(partitionKeyHeader),
  };
}

function page(
  container: ContainerRecord,
  results: string[],
  continuation: Continuation | undefined,
): CosmosResponse {
  const body = feedBody(container.rid, "Documents", results);
  return {
    status: 200,
    body,
    headers: continuation ? { "x-ms-continuation": JSON.stringify(continuation) } : {},
    requestCharge: requestUnits.feedPage(Buffer.byteLength(body)),
  };
}

/** `SELECT * FROM c` without a filter is the bulk-export path: rendered items go out without a parse. */
function streamingPage(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
  query: ParsedQuery | undefined,
  parameters: Record<string, unknown>,
): CosmosResponse {
  const limit = pageSize(request);
  const continuation = parseContinuation(request);
  let after = continuation && "row" in continuation ? continuation : undefined;
  const results: string[] = [];
  const passThrough = !query || (query.select.kind === "star" && !query.where);
  const parse = query !== undefined && readsDocuments(query);
  const where = scope(ctx, container, request);
  let examined = 0;
  for (;;) {
    const wanted = limit - results.length;
    const rows = ctx.store.scanItems(container.rid, { ...where, after, limit: wanted });
    for (const { position, item } of rows) {
      after = position;
      const rendered = renderItem(container, item);
      if (passThrough) results.push(rendered);
      else
        for (const r of executeQuery(query, [parse ? JSON.parse(rendered) : {}], parameters))
          results.push(JSON.stringify(r));
    }
    examined += rows.length;
    // Each item yields at most one row, so a short scan means storage is exhausted.
    if (rows.length < wanted) return page(container, results, undefined);
    // A selective filter may match nothing for a long way: the page ends anyway, as the service's do, and
    // the client follows the continuation.
    if (results.length >= limit || examined >= scanBudget) return page(container, results, after);
  }
}

function pageSize(request: CosmosRequest): number {
  return header(request, "x-ms-max-item-count") === "-1"
    ? unlimitedPageSize
    : maxItemCount(request, defaultPageSize);
}

function* emptyDocuments(count: number): Generator<Record<string, unknown>> {
  const empty = {};
  for (let i = 0; i < count; i++) yield empty;
}

function fullPage(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
  query: ParsedQuery,
  parameters: Record<string, unknown>,
): CosmosResponse {
  // Items are parsed as the evaluator pulls them, so an aggregate over a large container holds one chunk
  // at a time; only what the query keeps (sorted rows, distinct values) stays in memory.
  const where = scope(ctx, container, request);
  function* documents(): Generator<Record<string, unknown>> {
    for (let after: ScanPosition | undefined; ;) {
      const rows = ctx.store.scanItems(container.rid, { ...where, after, limit: 1000 });
      if (rows.length === 0) return;
      for (const { position, item } of rows) {
        after = position;
        yield JSON.parse(renderItem(container, item));
      }
    }
  }
  // A query that reads nothing from the items (`SELECT VALUE COUNT(1) FROM c`) gets the same answer from
  // as many empty documents as there are items, and the store counts those from an index.
  const source = readsDocuments(query)
    ? documents()
    : emptyDocuments(ctx.store.countItems(container.rid, where));
  const results = executeQuery(query, source, parameters);
  const continuation = parseContinuation(request);
  const offset = continuation && "offset" in continuation ? continuation.offset : 0;
  const end = offset + pageSize(request);
  const slice = results.slice(offset, end).map((r) => JSON.stringify(r));
  return page(container, slice, end < results.length ? { offset: end } : undefined);
}

export function queryItems(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  const spec = jsonBody<QuerySpec>(request);
  const query = parseQuery(spec.query);
  const parameters = parametersFromSpec(spec.parameters ?? []);
  return isStreaming(query)
    ? streamingPage(ctx, container, request, query, parameters)
    : fullPage(ctx, container, request, query, parameters);
}

/** `GET …/docs` without a change-feed header: every item, paged. */
export function readAllItems(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  return streamingPage(ctx, container, request, undefined, {});
}
