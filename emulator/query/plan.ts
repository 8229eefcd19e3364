/**
 * The query plan the service answers to the SDK's query-plan request (`x-ms-cosmos-is-query-plan-request`).
 * With it the SDK runs a cross-partition query itself: it sends `rewrittenQuery` (or the query as written) to
 * every partition key range and merges the pages by `queryInfo` — a k-way merge for ORDER BY, aggregators for
 * aggregates, de-duplication for DISTINCT, counting for TOP and OFFSET/LIMIT. The rewritten queries are in our
 * own dialect, so the per-partition execution parses and runs them like any other query; they return rows in
 * the shapes the SDK merges:
 *
 * - ORDER BY: `{_rid, orderByItems: [{item}], payload}`, sorted, with a `{documentdb-formattableorderbyquery-filter}`
 *   placeholder the SDK replaces by `true`, or by a filter on the sort keys when it resumes from a continuation;
 * - `SELECT VALUE <aggregate>`: one row per partition, `[{item: partial}]`;
 * - aggregates in a select list: one row per partition, `{payload: {alias: {item: partial} | value}}`;
 * - GROUP BY: one row per group and partition, `{groupByItems: [{item}], payload}` with the payload as above;
 * - anything else runs as written, but OFFSET n LIMIT m becomes OFFSET 0 LIMIT n+m (the SDK skips n itself).
 *
 * A partial aggregate is what the SDK's aggregators combine: COUNT and SUM as numbers, MIN/MAX as
 * `{min|max, count}`, AVG as `{sum, count}`.
 */
import type { AggregateExpr, AggregateName, CountExpr, Expr, OrderByItem, ParsedQuery } from "./parser";

export type SortOrder = "Ascending" | "Descending";
type AggregateType = "Count" | "Sum" | "Min" | "Max" | "Average" | "MakeList" | "MakeSet";

export interface QueryInfo {
  distinctType: "None" | "Ordered" | "Unordered";
  top?: number;
  offset?: number;
  limit?: number;
  orderBy: SortOrder[];
  orderByExpressions: string[];
  groupByExpressions: string[];
  groupByAliases: string[];
  aggregates: AggregateType[];
  groupByAliasToAggregateType: Record<string, AggregateType | null>;
  rewrittenQuery: string;
  hasSelectValue: boolean;
  hasNonStreamingOrderBy: boolean;
}

export interface PartitionedQueryExecutionInfo {
  partitionedQueryExecutionInfoVersion: number;
  queryInfo: QueryInfo;
  queryRanges: { min: string; max: string; isMinInclusive: boolean; isMaxInclusive: boolean }[];
}

/** Substituted by the SDK in rewritten ORDER BY queries: `true`, or the resume filter on the sort keys. */
const ORDER_BY_FILTER = "{documentdb-formattableorderbyquery-filter}";

/** Names of the columns of a rewritten ORDER BY query, in order; {@link isOrderByRewrite} recognises them. */
const ORDER_BY_COLUMNS = ["_rid", "orderByItems", "payload"] as const;

const AGGREGATE_TYPES: Readonly<Record<AggregateName, AggregateType>> = {
  COUNT: "Count",
  SUM: "Sum",
  MIN: "Min",
  MAX: "Max",
  AVG: "Average",
  MAKELIST: "MakeList",
  MAKESET: "MakeSet",
};

/** A query the emulator cannot plan for cross-partition execution; answered 400 with this message. */
export class QueryPlanError extends Error {
  override readonly name = "QueryPlanError";
}

/**
 * The plan for `query` (parsed from `text`, with `parameters` by name as {@link parametersFromSpec} gives them).
 * `supportedFeatures` is the SDK's `x-ms-cosmos-supported-query-features` list; a query needing a feature the
 * client lacks is refused, as the service does.
 */
export function planQuery(
  query: ParsedQuery,
  text: string,
  parameters: Record<string, unknown>,
  supportedFeatures?: readonly string[],
): PartitionedQueryExecutionInfo {
  const source = (expr: Expr) => text.slice(expr.start, expr.end);
  const orderBy = effectiveOrderBy(query) ?? [];
  const top = countValue(query.top, parameters, "TOP");
  const offset = countValue(query.offset, parameters, "OFFSET");
  const limit = countValue(query.limit, parameters, "LIMIT");
  const queryInfo: QueryInfo = {
    distinctType: !query.distinct ? "None" : query.orderBy ? "Ordered" : "Unordered",
    ...(top === undefined ? {} : { top }),
    ...(offset === undefined ? {} : { offset }),
    ...(limit === undefined ? {} : { limit }),
    orderBy: orderBy.map((item) => (item.descending ? "Descending" : "Ascending")),
    orderByExpressions: orderBy.map((item) => source(item.expr)),
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: "",
    hasSelectValue: query.select.kind === "value",
    hasNonStreamingOrderBy: false,
  };
  if (query.aggregate || query.groupBy) planAggregates(query, source, queryInfo);
  else if (query.orderBy) queryInfo.rewrittenQuery = orderByRewrite(query, source);
  else if (offset !== undefined && limit !== undefined)
    queryInfo.rewrittenQuery = `${textBeforeOffset(query, text)}OFFSET 0 LIMIT ${offset + limit}`;
  if (supportedFeatures) requireFeatures(query, queryInfo, supportedFeatures);
  return {
    partitionedQueryExecutionInfoVersion: 2,
    queryInfo,
    queryRanges: [{ min: "", max: "FF", isMinInclusive: true, isMaxInclusive: false }],
  };
}

/**
 * The sort keys that order the query's rows. An aggregate without GROUP BY answers one row, which no ORDER BY
 * can reorder: its sort is left out, so the SDK merges the partitions' partial aggregates rather than sorting
 * rows that have no sort keys, and no composite index is needed for it.
 */
export function effectiveOrderBy(query: ParsedQuery): OrderByItem[] | undefined {
  return query.aggregate && !query.groupBy ? undefined : query.orderBy;
}

/** True for the ORDER BY rewrite {@link planQuery} produces, whose pages need ORDER BY continuations. */
export function isOrderByRewrite(query: ParsedQuery): boolean {
  return (
    query.orderBy !== undefined &&
    query.select.kind === "list" &&
    query.select.items.length === ORDER_BY_COLUMNS.length &&
    query.select.items.every((item, i) => item.name === ORDER_BY_COLUMNS[i])
  );
}

function countValue(
  expr: CountExpr | undefined,
  parameters: Record<string, unknown>,
  clause: string,
): number | undefined {
  if (expr === undefined) return undefined;
  if (expr.kind === "literal") return expr.value;
  const value = parameters[expr.name];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw new QueryPlanError(
    `The ${clause} value must be a non-negative integer; parameter '${expr.name}' is ${JSON.stringify(value) ?? "undefined"}.`,
  );
}

function fromClause(query: ParsedQuery, source: (expr: Expr) => string): string {
  const { container, alias, path } = query.from;
  const from = path
    ? `FROM ${alias} IN ${source(path)}`
    : alias === container
      ? `FROM ${container}`
      : `FROM ${container} ${alias}`;
  return [from, ...(query.joins ?? []).map((join) => `JOIN ${join.alias} IN ${source(join.source)}`)].join(
    " ",
  );
}

function orderByRewrite(query: ParsedQuery, source: (expr: Expr) => string): string {
  const alias = query.from.alias;
  const select = query.select;
  const payload =
    select.kind === "star"
      ? alias
      : select.kind === "value"
        ? source(select.expr)
        : `{${select.items.map((item) => `${JSON.stringify(item.name)}: ${source(item.expr)}`).join(", ")}}`;
  const orderBy = query.orderBy ?? [];
  const items = orderBy.map((item) => `{"item": ${source(item.expr)}}`).join(", ");
  const where = query.where ? `(${source(query.where)}) AND ` : "";
  const keys = orderBy.map((item) => `${source(item.expr)} ${item.descending ? "DESC" : "ASC"}`).join(", ");
  // TOP and OFFSET/LIMIT are left to the SDK, which applies them to the merged rows. DISTINCT is applied by
  // each partition too, as the service does: the SDK only drops a row equal to the one before it, and its
  // continuation names the last row it merged, so a partition's duplicates would be merged and counted on a
  // page and then come back on resuming. In this rewrite DISTINCT compares rows without their `_rid` (see
  // queries.ts), so each distinct row keeps the rid of its first item, as the service's rows carry one.
  return (
    `SELECT ${query.distinct ? "DISTINCT " : ""}${alias}._rid, [${items}] AS orderByItems, ${payload} AS payload ` +
    `${fromClause(query, source)} WHERE ${where}(${ORDER_BY_FILTER}) ORDER BY ${keys}`
  );
}

/** How one partition reports its part of an aggregate, in the shape the SDK's aggregator for it combines. */
function partialAggregate(aggregate: AggregateExpr, source: (expr: Expr) => string): string {
  const arg = source(aggregate.arg);
  switch (aggregate.name) {
    // The SDK concatenates lists and unites sets, so a partition's own list or set is its partial.
    case "COUNT":
    case "SUM":
    case "MAKELIST":
    case "MAKESET":
      return `${aggregate.name}(${arg})`;
    case "MIN":
      return `{"min": MIN(${arg}), "count": COUNT(${arg})}`;
    case "MAX":
      return `{"max": MAX(${arg}), "count": COUNT(${arg})}`;
    case "AVG":
      return `{"sum": SUM(${arg}), "count": COUNT(${arg})}`;
  }
}

function containsAggregate(expr: Expr): boolean {
  switch (expr.kind) {
    case "aggregate":
      return true;
    case "literal":
    case "parameter":
    case "identifier":
      return false;
    case "property":
      return containsAggregate(expr.object);
    case "index":
      return containsAggregate(expr.object) || containsAggregate(expr.key);
    case "unary":
      return containsAggregate(expr.operand);
    case "binary":
      return containsAggregate(expr.left) || containsAggregate(expr.right);
    case "conditional":
      return [expr.test, expr.consequent, expr.alternate].some(containsAggregate);
    case "in":
      return [expr.operand, ...expr.list].some(containsAggregate);
    case "between":
      return [expr.operand, expr.low, expr.high].some(containsAggregate);
    case "like":
      return [expr.operand, expr.pattern, ...(expr.escape ? [expr.escape] : [])].some(containsAggregate);
    case "call":
      return expr.args.some(containsAggregate);
    case "object":
      return expr.properties.some((p) => containsAggregate(p.value));
    case "array":
      return expr.items.some(containsAggregate);
  }
}

function compositionError(expression: string): QueryPlanError {
  return new QueryPlanError(
    `Cross partition query only supports 'VALUE <AggregateFunc>' or aliased aggregates in the select list; ` +
      `'${expression}' combines an aggregate with other expressions.`,
  );
}

/**
 * Aggregates and GROUP BY: each partition folds its own items into partial aggregates (one row, or one row per
 * group keyed by `groupByItems`) and the SDK combines the partitions' rows group by group.
 */
function planAggregates(query: ParsedQuery, source: (expr: Expr) => string, queryInfo: QueryInfo): void {
  const groupBy = query.groupBy ?? [];
  queryInfo.groupByExpressions = groupBy.map(source);
  const groupByItems = groupBy.length
    ? `[${groupBy.map((expr) => `{"item": ${source(expr)}}`).join(", ")}] AS groupByItems, `
    : "";
  const tail =
    `${fromClause(query, source)}${query.where ? ` WHERE ${source(query.where)}` : ""}` +
    (groupBy.length ? ` GROUP BY ${groupBy.map(source).join(", ")}` : "");
  const select = query.select;
  if (select.kind === "value") {
    let value = source(select.expr);
    if (select.expr.kind === "aggregate") {
      queryInfo.aggregates = [AGGREGATE_TYPES[select.expr.name]];
      value = `[{"item": ${partialAggregate(select.expr, source)}}]`;
    } else if (containsAggregate(select.expr)) {
      throw compositionError(value);
    }
    // Without GROUP BY the row is the payload itself, as the SDK reads it.
    queryInfo.rewrittenQuery = groupByItems
      ? `SELECT ${groupByItems}${value} AS payload ${tail}`
      : `SELECT VALUE ${value} ${tail}`;
    return;
  }
  if (select.kind !== "list") {
    throw new QueryPlanError(
      "A query with GROUP BY or aggregates cannot select '*'; name the values to select.",
    );
  }
  const payload: string[] = [];
  for (const { name, expr } of select.items) {
    const property = JSON.stringify(name);
    if (expr.kind === "aggregate") {
      queryInfo.groupByAliasToAggregateType[name] = AGGREGATE_TYPES[expr.name];
      payload.push(`${property}: {"item": ${partialAggregate(expr, source)}}`);
    } else if (containsAggregate(expr)) {
      throw compositionError(source(expr));
    } else {
      queryInfo.groupByAliasToAggregateType[name] = null;
      payload.push(`${property}: ${source(expr)}`);
    }
  }
  queryInfo.groupByAliases = select.items.map((item) => item.name);
  queryInfo.rewrittenQuery = `SELECT ${groupByItems}{${payload.join(", ")}} AS payload ${tail}`;
}

/** The query text up to its `OFFSET` keyword (OFFSET … LIMIT … always ends a query). */
function textBeforeOffset(query: ParsedQuery, text: string): string {
  const offsetStart = (query.offset as CountExpr).start;
  return text.slice(0, text.toUpperCase().lastIndexOf("OFFSET", offsetStart));
}

/** The query features, as the SDK names them in `x-ms-cosmos-supported-query-features`, that `queryInfo` needs. */
function requiredFeatures(query: ParsedQuery, queryInfo: QueryInfo): string[] {
  const needed: string[] = [];
  if (queryInfo.groupByExpressions.length > 0) needed.push("GroupBy");
  if (queryInfo.aggregates.length > 0) needed.push("Aggregate");
  if (Object.keys(queryInfo.groupByAliasToAggregateType).length > 0) {
    needed.push("NonValueAggregate");
    if (Object.keys(queryInfo.groupByAliasToAggregateType).length > 1) needed.push("MultipleAggregates");
  }
  if (query.distinct) needed.push("Distinct");
  if (queryInfo.orderBy.length > 0) needed.push("OrderBy");
  if (queryInfo.orderBy.length > 1) needed.push("MultipleOrderBy");
  if (queryInfo.top !== undefined) needed.push("Top");
  if (queryInfo.offset !== undefined) needed.push("OffsetAndLimit");
  return needed;
}

function requireFeatures(query: ParsedQuery, queryInfo: QueryInfo, supported: readonly string[]): void {
  const missing = requiredFeatures(query, queryInfo).filter((feature) => !supported.includes(feature));
  if (missing.length > 0) {
    throw new QueryPlanError(
      `Query contains 1 or more unsupported features. Upgrade your SDK to a version that does support the ` +
        `requested features: ${missing.join(", ")}. The client sent supported features ${JSON.stringify(supported.join(","))}.`,
    );
  }
}
