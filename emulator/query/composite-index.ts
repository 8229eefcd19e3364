/**
 * The service serves an ORDER BY on several properties only from a composite index of the container's
 * indexing policy: one listing the same paths in the same order, with every direction as the query's or every
 * direction inverted (an index read backwards). Without one the query fails with 400; the emulator keeps no
 * indexes, but refuses the same queries so that a container definition that works here works on the service.
 */
import type { Expr, OrderByItem } from "./ast";

interface CompositePath {
  path: string;
  order?: string;
}

const MISSING_INDEX =
  "The order by query does not have a corresponding composite index that it can be served from.";

/** `c.a.b` (or `c["a"].b`) under the query's alias as an index path, `/a/b`; undefined for other expressions. */
function indexPath(expr: Expr, alias: string): string | undefined {
  const segments: string[] = [];
  let node = expr;
  while (node.kind === "property") {
    if (typeof node.key !== "string") return undefined;
    segments.unshift(node.key);
    node = node.object;
  }
  return node.kind === "identifier" && node.name === alias && segments.length > 0
    ? `/${segments.join("/")}`
    : undefined;
}

function compositeIndexes(indexingPolicy: unknown): CompositePath[][] {
  const indexes = (indexingPolicy as { compositeIndexes?: unknown } | undefined)?.compositeIndexes;
  return Array.isArray(indexes)
    ? indexes.filter((index): index is CompositePath[] => Array.isArray(index))
    : [];
}

function serves(index: CompositePath[], paths: string[], descending: boolean[]): boolean {
  if (index.length !== paths.length || index.some((entry, i) => entry.path !== paths[i])) return false;
  const indexDescending = index.map((entry) => entry.order?.toLowerCase() === "descending");
  const same = indexDescending.every((d, i) => d === descending[i]);
  const inverted = indexDescending.every((d, i) => d !== descending[i]);
  return same || inverted;
}

/**
 * The error message for an ORDER BY over several paths that no composite index of `indexingPolicy` serves, or
 * undefined when the query may run (one sort key, or keys that are not plain property paths).
 */
export function missingCompositeIndex(
  orderBy: readonly OrderByItem[] | undefined,
  alias: string,
  indexingPolicy: unknown,
): string | undefined {
  if (!orderBy || orderBy.length < 2) return undefined;
  const paths = orderBy.map((item) => indexPath(item.expr, alias));
  if (paths.some((path) => path === undefined)) return undefined;
  const descending = orderBy.map((item) => item.descending);
  const found = compositeIndexes(indexingPolicy).some((index) =>
    serves(index, paths as string[], descending),
  );
  return found ? undefined : MISSING_INDEX;
}
