/**
 * Aggregate functions: their names (the parser turns calls to them into aggregate nodes) and the accumulators
 * that fold a column of values into one result with Cosmos semantics (undefined values are skipped; a value of
 * the wrong type makes SUM, AVG, MIN and MAX undefined).
 */
import type { AggregateName } from "./ast";
import { ARRAY, compareForOrder, distinctKey, typeRank, UNDEFINED } from "./values";

export const AGGREGATE_NAMES: ReadonlySet<string> = new Set<AggregateName>([
  "COUNT",
  "SUM",
  "MIN",
  "MAX",
  "AVG",
  "MAKELIST",
  "MAKESET",
]);

/** Every aggregate takes exactly one argument. */
export const AGGREGATE_ARITY = [1, 1] as const;

export interface Accumulator {
  add(value: unknown): void;
  result(): unknown;
}

export function accumulator(name: AggregateName): Accumulator {
  if (name === "MAKELIST" || name === "MAKESET") return collector(name === "MAKESET");
  let count = 0;
  let sum = 0;
  let invalid = false;
  let best: unknown = undefined;
  switch (name) {
    case "COUNT":
      return {
        add: (v) => {
          if (v !== undefined) count++;
        },
        result: () => count,
      };
    case "SUM":
    case "AVG":
      return {
        add: (v) => {
          if (v === undefined) return;
          if (typeof v !== "number") invalid = true;
          else {
            sum += v;
            count++;
          }
        },
        result: () => (invalid ? undefined : name === "SUM" ? sum : count === 0 ? undefined : sum / count),
      };
    case "MIN":
    case "MAX": {
      const sign = name === "MIN" ? 1 : -1;
      return {
        add: (v) => {
          const rank = typeRank(v);
          if (rank === UNDEFINED) return;
          if (rank >= ARRAY) invalid = true;
          else if (best === undefined || sign * compareForOrder(v, best) < 0) best = v;
        },
        result: () => (invalid ? undefined : best),
      };
    }
  }
}

/** MAKELIST gathers every defined value in row order; MAKESET keeps the first of equal values. */
function collector(unique: boolean): Accumulator {
  const values: unknown[] = [];
  const seen = new Set<string>();
  return {
    add: (v) => {
      if (v === undefined) return;
      if (unique) {
        const key = distinctKey(v);
        if (seen.has(key)) return;
        seen.add(key);
      }
      values.push(v);
    },
    result: () => values,
  };
}
