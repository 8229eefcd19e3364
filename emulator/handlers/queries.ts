import { errors } from "../errors";
import { missingCompositeIndex } from "../query/composite-index";
import { executeQuery, parametersFromSpec, parseQuery, readsDocuments } from "../query/evaluate";
import { QueryMetricsCollector } from "../query/metrics";
import {
  orderByRowComparator,
  positionOf,
  type OrderByPosition,
  type OrderByRow,
} from "../query/order-by-rows";
import { distinctKey } from "../query/values";
import type { ParsedQuery } from "../query/parser";
import {
  effectiveOrderBy,
  isOrderByRewrite,
  planQuery,
  QueryPlanError,
  type PartitionedQueryExecutionInfo,
} from "../query/plan";
import { bindUserFunctions } from "../query/user-functions";
import { orderedPage, scanBudget, yieldsRowPerItem } from "./order-by-index";
import {
  feedBody,
  header,
  isTrue,
  jsonBody,
  maxItemCount,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
import type { ContainerRecord, ItemScope, ScanPosition } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { requireRange, type EmulatorContext } from "./context";
import { canonicalPartitionKey, renderItem } from "./item-operations";
import { userFunctionsOf } from "./udf-runtime";

/**
 * Item queries sent without a partition key range run whole on the server, across every partition, so the
 * SDK's optimistic path needs no client-side pipeline (GROUP BY aside, see refuseGroupByAcrossPartitions).
 * When the SDK runs its pipeline instead (it asked for a query plan, see query/plan.ts), it sends the plan's
 * rewritten query to each partition key range and merges the pages; the rewritten ORDER BY query's pages
 * are sorted rows with a resume-position continuation.
 * Queries that produce at most one row per item stream through storage (partition by partition, in row order)
 * with a position continuation, examining a bounded number of items per page; the rest (ORDER BY, aggregates,
 * DISTINCT, TOP, OFFSET) are evaluated in full per page.
 */
const defaultPageSize = 100;
const unlimitedPageSize = 1000;

interface QuerySpec {
  query: string;
  parameters?: { name: string; value: unknown }[];
}

type Continuation = ScanPosition | { offset: number } | { after: OrderByPosition };

function planFor(request: CosmosRequest, spec: QuerySpec, query: ParsedQuery): PartitionedQueryExecutionInfo {
  const features = header(request, "x-ms-cosmos-supported-query-features");
  try {
    return planQuery(
      query,
      spec.query,
      parametersFromSpec(spec.parameters ?? []),
      features === undefined ? undefined : features.split(",").map((f) => f.trim()),
    );
  } catch (error) {
    if (error instanceof QueryPlanError) throw errors.badRequest(error.message);
    throw error;
  }
}

/** The plan the SDK's query pipeline merges the per-partition pages by (see query/plan.ts). */
export function queryPlan(request: CosmosRequest): CosmosResponse {
  const spec = jsonBody<QuerySpec>(request);
  const plan = planFor(request, spec, parseQuery(spec.query));
  return { status: 200, body: JSON.stringify(plan), requestCharge: 0 };
}

/**
 * The service's gateway serves a query sent without a partition key range or partition key (the SDK's first,
 * optimistic try) across several physical partitions only when the partitions' pages can be concatenated;
 * otherwise it answers 400 with the query plan, and the SDK runs its pipeline. The emulator refuses the
 * queries whose rows the SDK's GROUP BY pipeline builds — GROUP BY, and aggregates under an alias — because
 * there the merge shows: it names every alias, so an aggregate of no values is `undefined` under its alias,
 * where a whole answer has no such property. The other merged queries (ORDER BY, VALUE aggregates, DISTINCT,
 * TOP, OFFSET) it still runs whole, which gives the same rows.
 */
function refuseGroupByAcrossPartitions(run: QueryRun, spec: QuerySpec, query: ParsedQuery): void {
  const { where, ctx, container, request } = run;
  if (!query.groupBy && !query.aggregate) return;
  if (where.partition !== undefined || where.partitionKey !== undefined) return;
  if (ctx.store.partitionBounds(container.rid).length < 2) return;
  const plan = planFor(request, spec, query);
  const { groupByExpressions, groupByAliasToAggregateType } = plan.queryInfo;
  if (groupByExpressions.length > 0 || Object.keys(groupByAliasToAggregateType).length > 0) {
    throw errors.crossPartitionQueryNotServable(JSON.stringify(plan));
  }
}

/** Whether the query's rows come in storage order, at most one per item. */
function isStreaming(query: ParsedQuery): boolean {
  return !query.orderBy && yieldsRowPerItem(query);
}

function parseContinuation(request: CosmosRequest): Continuation | undefined {
  const token = header(request, "x-ms-continuation");
  if (!token) return undefined;
  try {
    return JSON.parse(token) as Continuation;
  } catch {
    throw errors.badRequest(
      `Invalid Continuation Token: '${token}' is not a continuation this query returned.`,
    );
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

/** One query request: its scope and, when the client asked for them, the metrics of the page. */
interface QueryRun {
  ctx: EmulatorContext;
  container: ContainerRecord;
  request: CosmosRequest;
  where: ItemScope;
  metrics?: QueryMetricsCollector;
}

function startRun(ctx: EmulatorContext, container: ContainerRecord, request: CosmosRequest): QueryRun {
  const metrics = isTrue(request, "x-ms-documentdb-populatequerymetrics")
    ? new QueryMetricsCollector()
    : undefined;
  return { ctx, container, request, where: scope(ctx, container, request), metrics };
}

function page(run: QueryRun, results: string[], continuation: Continuation | undefined): CosmosResponse {
  const body = feedBody(run.container.rid, "Documents", results);
  const headers: Record<string, string> = {};
  if (continuation) headers["x-ms-continuation"] = JSON.stringify(continuation);
  if (run.metrics) {
    const outputSize = results.reduce((size, r) => size + Buffer.byteLength(r), 0);
    headers["x-ms-documentdb-query-metrics"] = run.metrics.header(results.length, outputSize);
  }
  return { status: 200, body, headers, requestCharge: requestUnits.feedPage(Buffer.byteLength(body)) };
}

/**
 * Where a page of a streaming query reads: the scope's one partition, or, for a query across the whole
 * container, the physical partition the continuation stands in. The service's gateway drains a
 * cross-partition query one partition key range at a time, so a page never holds items of two partitions;
 * `next` is where the following page starts once this partition is exhausted (none after the last).
 */
function streamingRange(
  run: QueryRun,
  after: ScanPosition | undefined,
): { scan: ItemScope; after: ScanPosition | undefined; next?: ScanPosition } | undefined {
  const { ctx, container, where } = run;
  if (where.partition !== undefined || where.partitionKey !== undefined) return { scan: where, after };
  // A split replaces a partition with higher-numbered ones: a continuation into a gone partition resumes
  // at the first partition after it.
  const remaining = ctx.store
    .partitionBounds(container.rid)
    .map((p) => p.index)
    .filter((index) => after === undefined || index >= after.partition);
  const [current, following] = remaining;
  if (current === undefined) return undefined;
  return {
    scan: { partition: current },
    after: after?.partition === current ? after : undefined,
    next: following === undefined ? undefined : { partition: following, row: 0 },
  };
}

/** `SELECT * FROM c` without a filter is the bulk-export path: rendered items go out without a parse. */
function streamingPage(run: QueryRun, query: ParsedQuery | undefined, parameters: Record<string, unknown>) {
  const { ctx, container, request, metrics } = run;
  const limit = pageSize(request);
  const continuation = parseContinuation(request);
  const range = streamingRange(run, continuation && "row" in continuation ? continuation : undefined);
  if (!range) return page(run, [], undefined);
  let { after } = range;
  const results: string[] = [];
  const passThrough = !query || (query.select.kind === "star" && !query.where);
  const parse = query !== undefined && readsDocuments(query);
  let examined = 0;
  for (;;) {
    const wanted = limit - results.length;
    const rows = ctx.store.scanItems(container.rid, { ...range.scan, after, limit: wanted });
    for (const { position, item } of rows) {
      after = position;
      const rendered = renderItem(container, item);
      metrics?.retrieved(rendered);
      if (passThrough) results.push(rendered);
      else
        for (const r of executeQuery(query, [parse ? JSON.parse(rendered) : {}], parameters))
          results.push(JSON.stringify(r));
    }
    examined += rows.length;
    // Each item yields at most one row, so a short scan means the partition is exhausted: the page ends
    // there and the next one starts in the next partition, if any. A full page carries a continuation even
    // when nothing follows, as the service's do (the next page is then empty).
    if (rows.length < wanted) return page(run, results, range.next);
    // A selective filter may match nothing for a long way: the page ends anyway, as the service's do, and
    // the client follows the continuation.
    if (results.length >= limit || examined >= scanBudget) return page(run, results, after);
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

/**
 * The items in the run's scope, parsed as the evaluator pulls them, so an aggregate over a large container
 * holds one chunk at a time; only what the query keeps (sorted rows, distinct values) stays in memory.
 */
function* documents(run: QueryRun): Generator<Record<string, unknown>> {
  const { ctx, container, where, metrics } = run;
  for (let after: ScanPosition | undefined; ;) {
    const rows = ctx.store.scanItems(container.rid, { ...where, after, limit: 1000 });
    if (rows.length === 0) return;
    for (const { position, item } of rows) {
      after = position;
      const rendered = renderItem(container, item);
      metrics?.retrieved(rendered);
      yield JSON.parse(rendered);
    }
  }
}

function fullPage(run: QueryRun, query: ParsedQuery, parameters: Record<string, unknown>): CosmosResponse {
  // A query that reads nothing from the items (`SELECT VALUE COUNT(1) FROM c`) gets the same answer from
  // as many empty documents as there are items, and the store counts those from an index.
  let source: Iterable<Record<string, unknown>>;
  if (readsDocuments(query)) source = documents(run);
  else {
    const count = run.ctx.store.countItems(run.container.rid, run.where);
    run.metrics?.retrievedWithoutContent(count);
    source = emptyDocuments(count);
  }
  const results = executeQuery(query, source, parameters);
  const continuation = parseContinuation(run.request);
  const offset = continuation && "offset" in continuation ? continuation.offset : 0;
  const end = offset + pageSize(run.request);
  const slice = results.slice(offset, end).map((r) => JSON.stringify(r));
  return page(run, slice, end < results.length ? { offset: end } : undefined);
}

/**
 * A page of the plan's rewritten ORDER BY query for one partition key range. The continuation is the last
 * row's position rather than an offset: when the SDK resumes it sends the query again with a filter on the
 * sort keys, which shifts offsets, and the position means the same with or without that filter. A query
 * with a row per item reads its page through the partition's sort-key index (order-by-index.ts); the rest
 * (JOIN, DISTINCT, …) are sorted in full per page.
 */
function orderByPage(run: QueryRun, query: ParsedQuery, parameters: Record<string, unknown>): CosmosResponse {
  const continuation = parseContinuation(run.request);
  const after = continuation && "after" in continuation ? continuation.after : undefined;
  const { partition, partitionKey } = run.where;
  if (partition !== undefined && partitionKey === undefined && yieldsRowPerItem(query)) {
    const { ctx, container, metrics } = run;
    const limit = pageSize(run.request);
    const { rows, next } = orderedPage({
      ctx,
      container,
      partition,
      query,
      parameters,
      after,
      limit,
      metrics,
    });
    return page(
      run,
      rows.map((row) => JSON.stringify(row)),
      next && { after: next },
    );
  }
  const compare = orderByRowComparator((query.orderBy ?? []).map((item) => item.descending));
  // DISTINCT in the rewrite compares rows without `_rid` (see plan.ts): the first item's row stands for its
  // equals, so the same rows (and positions) come back on every page.
  const evaluated = executeQuery({ ...query, distinct: false }, documents(run), parameters) as OrderByRow[];
  const sorted = evaluated.sort(compare);
  const seen = new Set<string>();
  const rows = query.distinct
    ? sorted.filter((row) => {
        const key = distinctKey([row.orderByItems, row.payload]);
        return !seen.has(key) && Boolean(seen.add(key));
      })
    : sorted;
  const first = after ? rows.findIndex((row) => compare(row, after) > 0) : 0;
  const start = first < 0 ? rows.length : first;
  const end = start + pageSize(run.request);
  const slice = rows.slice(start, end);
  const last = slice.at(-1);
  const next = end < rows.length && last ? { after: positionOf(last) } : undefined;
  return page(
    run,
    slice.map((row) => JSON.stringify(row)),
    next,
  );
}

export function queryItems(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  const spec = jsonBody<QuerySpec>(request);
  const query = parseQuery(spec.query);
  bindUserFunctions(query, userFunctionsOf(ctx, container));
  const parameters = parametersFromSpec(spec.parameters ?? []);
  const missingIndex = missingCompositeIndex(
    effectiveOrderBy(query),
    query.from.alias,
    container.definition.indexingPolicy,
  );
  if (missingIndex) throw errors.badRequest(missingIndex);
  const run = startRun(ctx, container, request);
  refuseGroupByAcrossPartitions(run, spec, query);
  if (isOrderByRewrite(query)) return orderByPage(run, query, parameters);
  return isStreaming(query) ? streamingPage(run, query, parameters) : fullPage(run, query, parameters);
}

/** `GET …/docs` without a change-feed header: every item, paged. */
export function readAllItems(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  return streamingPage(startRun(ctx, container, request), undefined, {});
}
