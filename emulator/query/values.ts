/**
 * JSON value semantics shared by the built-in functions and the evaluator: Cosmos type ranks, equality,
 * ordering, property access and the canonical form DISTINCT compares by.
 */

/** Cosmos type order: undefined < null < boolean < number < string < array < object. */
export const UNDEFINED = 0;
export const NULL = 1;
export const BOOLEAN = 2;
export const NUMBER = 3;
export const STRING = 4;
export const ARRAY = 5;
export const OBJECT = 6;

export function typeRank(value: unknown): number {
  switch (typeof value) {
    case "boolean":
      return BOOLEAN;
    case "number":
      return NUMBER;
    case "string":
      return STRING;
    case "object":
      return value === null ? NULL : Array.isArray(value) ? ARRAY : OBJECT;
    default:
      return UNDEFINED;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const rank = typeRank(a);
  if (rank !== typeRank(b)) return false;
  if (rank === ARRAY) {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((item, i) => deepEqual(item, y[i]));
  }
  if (rank === OBJECT) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = Object.keys(x).filter((k) => x[k] !== undefined);
    if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
    return keys.every((k) => Object.hasOwn(y, k) && deepEqual(x[k], y[k]));
  }
  return false;
}

/** Orders two values of the same primitive rank (null, boolean, number, string). */
export function comparePrimitives(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === "boolean") return a ? 1 : -1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** Total order used by ORDER BY and MIN/MAX: by type rank, then by value (arrays and objects tie). */
export function compareForOrder(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  return ra >= ARRAY ? 0 : comparePrimitives(a, b);
}

/** `a = b`: undefined unless both values are defined and of the same type. */
export function equals(a: unknown, b: unknown): boolean | undefined {
  const rank = typeRank(a);
  if (rank === UNDEFINED || rank !== typeRank(b)) return undefined;
  return rank < ARRAY ? a === b : deepEqual(a, b);
}

/** `<`, `<=`, `>`, `>=`, `!=`: only defined for two primitives of the same type. */
export function relate(a: unknown, b: unknown): number | undefined {
  const rank = typeRank(a);
  if (rank === UNDEFINED || rank >= ARRAY || rank !== typeRank(b)) return undefined;
  return comparePrimitives(a, b);
}

export function truthTable(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Reads `value[key]` the way a Cosmos property path does: own properties of objects, in-range array indexes. */
export function getMember(value: unknown, key: unknown): unknown {
  if (typeof key === "string") {
    return isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  }
  if (typeof key === "number" && Array.isArray(value) && Number.isInteger(key) && key >= 0) return value[key];
  return undefined;
}

export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function arithmetic(result: number): number | undefined {
  return Number.isFinite(result) ? result : undefined;
}

/** Canonical string for DISTINCT: equal JSON values (ignoring key order) map to the same key. */
export function distinctKey(value: unknown): string {
  switch (typeof value) {
    case "string":
      return "s" + value;
    case "number":
      return "n" + value;
    case "boolean":
      return value ? "t" : "f";
    default:
      return value === null ? "z" : "j" + canonicalJson(value);
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  return value === undefined ? "undefined" : JSON.stringify(value);
}
