/**
 * Pages of the plan's rewritten ORDER BY query (see query/plan.ts) read through an index of sort keys, so a
 * page costs what it returns rather than what the partition holds. The service resumes an ORDER BY from its
 * index; the emulator keeps the equivalent per partition and ORDER BY: every item's sort keys and rid, in the
 * order the partition returns rows, with where the item is stored. A page binary-searches its resume position,
 * then reads and evaluates items one by one (the query's filter, including the SDK's resume filter, applies
 * to each) until the page is full.
 *
 * The index holds keys, not documents, and is rebuilt when the partition's LSN has moved (any write); only a
 * few are kept, the least recently used dropped first. Queries whose items can yield several rows (JOIN,
 * `FROM x IN`) or that DISTINCT, TOP or OFFSET would reshape are not indexed: the caller sorts them in full.
 */
import { executeQuery } from "../query/evaluate";
import type { QueryMetricsCollector } from "../query/metrics";
import {
  orderByRowComparator,
  positionOf,
  type OrderByPosition,
  type OrderByRow,
} from "../query/order-by-rows";
import type { Expr } from "../query/ast";
import type { ParsedQuery } from "../query/parser";
import { compareForOrder } from "../query/values";
import type { ContainerRecord, ScanPosition, Store } from "../store/store";
import type { EmulatorContext } from "./context";
import { renderItem } from "./item-operations";

/** Sorted-key indexes kept per store; each holds a few small entries per item of one partition. */
const maxIndexes = 8;
/**
 * Items a query page examines at most past its resume position, however few of them match the filter; the
 * page then ends with a continuation, as a service page cut short by its time budget does.
 */
export const scanBudget = 10_000;

interface IndexEntry extends OrderByPosition {
  position: ScanPosition;
}

interface SortedKeys {
  lsn: number;
  entries: IndexEntry[];
}

const indexesByStore = new WeakMap<Store, Map<string, SortedKeys>>();

/**
 * Whether each item yields at most one row and the rows need nothing beyond their order: no DISTINCT, TOP,
 * OFFSET/LIMIT or aggregate, no JOIN or `FROM x IN`. Such a query's pages can resume from a position, in
 * storage order or (with ORDER BY) in this index's order.
 */
export function yieldsRowPerItem(query: ParsedQuery): boolean {
  return (
    !query.distinct &&
    !query.top &&
    !query.offset &&
    !query.limit &&
    !query.aggregate &&
    !query.joins?.length &&
    !query.from.path
  );
}

export interface OrderedPageRequest {
  ctx: EmulatorContext;
  container: ContainerRecord;
  partition: number;
  /** The rewritten ORDER BY query ({@link yieldsRowPerItem}). */
  query: ParsedQuery;
  parameters: Record<string, unknown>;
  /** The position the previous page ended at. */
  after?: OrderByPosition;
  limit: number;
  metrics?: QueryMetricsCollector;
}

/**
 * Up to `limit` rows after `after`, and where the next page starts: set when a further row matches, or when
 * the scan budget ran out before the partition's end (the client then follows it, as after a service page
 * cut short).
 */
export function orderedPage(request: OrderedPageRequest): { rows: OrderByRow[]; next?: OrderByPosition } {
  const { ctx, container, query, parameters, after, limit, metrics } = request;
  const descending = (query.orderBy ?? []).map((item) => item.descending);
  const compare = orderByRowComparator(descending);
  const { entries } = sortedKeys(request, compare);
  // A single sort key leaves out items it is undefined for, as the service's ORDER BY does.
  const skipUndefined = descending.length === 1;
  let cut: IndexEntry | undefined;
  function* documents(): Generator<Record<string, unknown>> {
    let examined = 0;
    for (let i = firstCandidate(entries, query, after, compare); i < entries.length; i++) {
      const entry = entries[i];
      if (skipUndefined && entry.orderByItems[0]?.item === undefined) continue;
      const item = ctx.store.itemAt(container.rid, entry.position);
      if (item) {
        const rendered = renderItem(container, item);
        metrics?.retrieved(rendered);
        yield JSON.parse(rendered) as Record<string, unknown>;
      }
      if (++examined >= scanBudget && i + 1 < entries.length) {
        cut = entry;
        return;
      }
    }
  }
  // One row past the page says whether another page follows; the index has the order already.
  const lookAhead: ParsedQuery = { ...query, orderBy: undefined, top: literalCount(limit + 1) };
  const rows = executeQuery(lookAhead, documents(), parameters) as OrderByRow[];
  if (rows.length > limit) return { rows: rows.slice(0, limit), next: positionOf(rows[limit - 1]) };
  return { rows, next: cut && positionOf(cut) };
}

function literalCount(value: number): ParsedQuery["top"] {
  return { kind: "literal", value, start: 0, end: 0 };
}

/**
 * Where the page's candidates start: after the continuation's position, and not before the first entry a
 * bound on the first sort key admits. The SDK resumes the other ranges of a query with such a bound (`c.k > v`
 * ascending, `c.k < v` descending, or-equal for ranges after the one it resumes from) and no continuation;
 * entries before it fail the bound (a value of another type compares undefined, which fails too), so the
 * service's index seeks past them and so does this.
 */
function firstCandidate(
  entries: IndexEntry[],
  query: ParsedQuery,
  after: OrderByPosition | undefined,
  compare: (a: OrderByPosition, b: OrderByPosition) => number,
): number {
  let first = after ? firstAfter(entries, (entry) => compare(entry, after) > 0) : 0;
  const [key] = query.orderBy ?? [];
  if (!key || !query.where) return first;
  const keyShape = shape(key.expr);
  for (const conjunct of conjuncts(query.where)) {
    if (conjunct.kind !== "binary" || shape(conjunct.left) !== keyShape) continue;
    const bound = boundValue(conjunct.right);
    if (bound === undefined) continue;
    const strict = conjunct.op === (key.descending ? "<" : ">");
    if (!strict && conjunct.op !== (key.descending ? "<=" : ">=")) continue;
    const direction = key.descending ? -1 : 1;
    const admitted = (entry: IndexEntry) => {
      const cmp = direction * compareForOrder(entry.orderByItems[0]?.item, bound.value);
      return strict ? cmp > 0 : cmp >= 0;
    };
    first = Math.max(first, firstAfter(entries, admitted));
  }
  return first;
}

function conjuncts(expr: Expr): Expr[] {
  return expr.kind === "binary" && expr.op === "AND"
    ? [...conjuncts(expr.left), ...conjuncts(expr.right)]
    : [expr];
}

/** A literal bound (the SDK writes its resume filter with literals). */
function boundValue(expr: Expr): { value: unknown } | undefined {
  return expr.kind === "literal" && expr.value !== undefined ? { value: expr.value } : undefined;
}

/** An expression without its place in the query text, to compare with another. */
function shape(expr: Expr | ParsedQuery["select"]): string {
  return JSON.stringify(expr, (name: string, value: unknown) =>
    name === "start" || name === "end" ? undefined : value,
  );
}

/** The index of the first entry `admitted` holds for, given that it holds for every entry after one it does. */
function firstAfter(entries: IndexEntry[], admitted: (entry: IndexEntry) => boolean): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (admitted(entries[middle])) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The partition's sort keys for the query's ORDER BY, built anew when the partition has changed since. */
function sortedKeys(
  request: OrderedPageRequest,
  compare: (a: OrderByPosition, b: OrderByPosition) => number,
): SortedKeys {
  const { ctx, container, partition, query } = request;
  const lsn = ctx.store.listPartitions(container.rid).find((p) => p.index === partition)?.lsn ?? 0;
  let indexes = indexesByStore.get(ctx.store);
  if (!indexes) indexesByStore.set(ctx.store, (indexes = new Map()));
  // The sort keys and their directions name the index (the `_rid` and `orderByItems` columns and ORDER BY).
  const orderBy = (query.orderBy ?? []).map((item) => [shape(item.expr), item.descending]);
  const key = JSON.stringify([
    container.rid,
    partition,
    orderBy,
    shape(sortKeysQuery(query).select),
    request.parameters,
  ]);
  const cached = indexes.get(key);
  indexes.delete(key);
  const index = cached?.lsn === lsn ? cached : { lsn, entries: readSortKeys(request, compare) };
  indexes.set(key, index);
  if (indexes.size > maxIndexes) indexes.delete(indexes.keys().next().value as string);
  return index;
}

/** The rewritten query reduced to its `_rid` and `orderByItems` columns, over every item. */
function sortKeysQuery(query: ParsedQuery): ParsedQuery {
  if (query.select.kind !== "list") throw new Error("An ORDER BY rewrite selects a list of columns.");
  return {
    ...query,
    where: undefined,
    orderBy: undefined,
    select: { kind: "list", items: query.select.items.slice(0, 2) },
  };
}

function readSortKeys(
  { ctx, container, partition, query, parameters }: OrderedPageRequest,
  compare: (a: OrderByPosition, b: OrderByPosition) => number,
): IndexEntry[] {
  const keysQuery = sortKeysQuery(query);
  const entries: IndexEntry[] = [];
  for (let after: ScanPosition | undefined; ;) {
    const chunk = ctx.store.scanItems(container.rid, { partition, after, limit: 1000 });
    if (chunk.length === 0) break;
    const documents = chunk.map(
      ({ item }) => JSON.parse(renderItem(container, item)) as Record<string, unknown>,
    );
    // Without a filter or JOIN every item yields exactly one row, so rows and positions pair up in order.
    const keys = executeQuery(keysQuery, documents, parameters) as OrderByPosition[];
    keys.forEach((row, i) => entries.push({ ...positionOf(row), position: chunk[i].position }));
    after = chunk[chunk.length - 1].position;
  }
  return entries.sort(compare);
}
