import { types } from "cassandra-driver";

/**
 * A Cassandra row as plain JSON, the form a copy counts, checksums (`BodyChecksum`) and compares: equal for
 * equal rows whichever table and driver read them. The driver's own classes become their string forms,
 * which are exact (a Long, a varint or a decimal as a JSON number would lose digits).
 *
 * Two values of one column always have one CQL type (the schemas are checked equal), so the encoding only
 * has to keep values of one type apart: null from NaN, a blob from nothing else. Blobs are still tagged
 * (`{"@blob": base64}`) so that no text value, in any column, reads the same.
 */
export type PlainValue = null | boolean | number | string | PlainValue[] | { [name: string]: PlainValue };

export const blobTag = "@blob";

/** A driver row, or any record of column names to driver values, as plain JSON. */
export function plainRow(row: Record<string, unknown>): Record<string, PlainValue> {
  const plain: Record<string, PlainValue> = {};
  for (const [column, value] of Object.entries(row)) plain[column] = plainValue(value);
  return plain;
}

/** Classes whose `toString` is their exact CQL value (a UUID's text, a decimal's digits, `1h30m`, …). */
const stringForms: (abstract new (...args: never[]) => { toString(): string })[] = [
  types.Long,
  types.Integer,
  types.BigDecimal,
  types.Uuid,
  types.InetAddress,
  types.LocalDate,
  types.LocalTime,
  types.Duration,
];

/** One driver value as plain JSON (see `plainRow`). */
export function plainValue(value: unknown): PlainValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    // JSON has no NaN nor infinities: written as numbers they would read as null.
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
  }
  if (Buffer.isBuffer(value)) return { [blobTag]: value.toString("base64") };
  if (value instanceof Date) return value.toISOString();
  if (stringForms.some((form) => value instanceof form)) return (value as { toString(): string }).toString();
  if (value instanceof types.Tuple) return value.elements.map(plainValue);
  if (value instanceof types.Vector) return Array.from(value, plainValue);
  // Entries sorted by key: the same map reads the same whichever order it was built in.
  if (value instanceof Map) {
    return [...value]
      .map(([key, entry]) => [plainValue(key), plainValue(entry)])
      .sort(([a], [b]) => compareStrings(JSON.stringify(a), JSON.stringify(b)));
  }
  if (value instanceof Set || Array.isArray(value)) return Array.from(value, plainValue);
  if (isPlainObject(value)) return plainRow(value);
  throw new TypeError(
    `A Cassandra value of type ${value.constructor?.name ?? typeof value} cannot be copied: the copy knows the CQL types of Apache Cassandra only.`,
  );
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
