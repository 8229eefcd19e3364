/**
 * Effective partition key (EPK) computation, bit-for-bit compatible with `@azure/cosmos` v4
 * (src/utils/hashing/: v1, v2, multiHash, encoding/number, encoding/string) and partition key
 * extraction compatible with its extractPartitionKey / parsePath.
 *
 * - "Hash" with `version: 2` → V2: MurmurHash3 x64_128 over the type-prefixed values, digest
 *   reversed, first byte masked to 0x00..0x3F, 32 uppercase hex chars.
 * - "Hash" without version (or version 1) → V1: MurmurHash3 x86_32 over the type-prefixed value,
 *   EPK = sortable encoding of the hash (as a double) followed by the sortable encoding of the
 *   value itself.
 * - "MultiHash" → V2 of each component, concatenated (a prefix key yields a prefix EPK).
 *
 * EPKs are compared as plain (uppercase hex) strings; a partition key range owns [min, max).
 */

import { murmurHash3x64_128Words, murmurHash3x86_32 } from "./murmurhash3";

/** A partition key component; `{}` stands for "undefined" (the path is absent from the item). */
export type PartitionKeyValue = string | number | boolean | null | Record<string, never>;

export interface PartitionKeyDefinition {
  paths: string[];
  /** "Hash" (the default) or "MultiHash". */
  kind?: string;
  version?: number;
  systemKey?: boolean;
}

/** Smallest and (exclusive) largest EPK of the hash space. */
export const MIN_EPK = "";
export const MAX_EPK = "FF";

/** Type-marker bytes of the binary encodings (the SDK's BytePrefix). */
const Marker = {
  Undefined: 0x00,
  Null: 0x01,
  False: 0x02,
  True: 0x03,
  Number: 0x05,
  String: 0x08,
  Infinity: 0xff,
} as const;

/** V1 only looks at the first 100 UTF-16 code units of a string. */
const V1_MAX_STRING_CHARS = 100;

/** With more V1 ranges, a boundary could sort between two of the hash encodings it separates. */
const V1_MAX_PARTITION_COUNT = 16384;

type HashScheme = "V1" | "V2" | "MultiHash";

function hashScheme(definition: PartitionKeyDefinition): HashScheme {
  const kind = definition.kind || "Hash";
  if (kind === "Hash") return definition.version === 2 ? "V2" : "V1";
  if (kind === "MultiHash") return "MultiHash";
  throw new Error(`Unsupported partition key kind: ${kind}`);
}

// ---------------------------------------------------------------------------------------------
// EPK
// ---------------------------------------------------------------------------------------------

/**
 * The effective partition key of `values` (one per path of `definition`, or fewer for a prefix of
 * a MultiHash key), as uppercase hex. An empty `values` gives the minimum EPK "".
 */
export function effectivePartitionKey(
  definition: PartitionKeyDefinition,
  values: PartitionKeyValue[],
): string {
  if (values.length === 0) return MIN_EPK;
  const scheme = hashScheme(definition);
  if (values.length > Math.max(definition.paths.length, 1)) {
    throw new RangeError(
      `Partition key has ${values.length} components but the container defines ${definition.paths.length} path(s)`,
    );
  }
  switch (scheme) {
    case "V1":
      return epkV1(values[0]);
    case "V2":
      return epkV2(values);
    case "MultiHash": {
      let epk = "";
      for (const value of values) epk += epkV2([value]);
      return epk;
    }
  }
}

/** Writes the non-string encoding shared by the V1/V2 hash inputs; returns the new offset. */
function writeScalar(buffer: Buffer, offset: number, value: PartitionKeyValue): number {
  if (typeof value === "number") {
    buffer[offset] = Marker.Number;
    buffer.writeDoubleLE(value, offset + 1);
    return offset + 9;
  }
  buffer[offset] = scalarMarker(value);
  return offset + 1;
}

function scalarMarker(value: PartitionKeyValue): number {
  if (value === true) return Marker.True;
  if (value === false) return Marker.False;
  if (value === null) return Marker.Null;
  if (typeof value === "object" || value === undefined) return Marker.Undefined;
  throw new TypeError(`Unsupported partition key value: ${String(value)}`);
}

/** Upper bound of the UTF-8 size of a string: at most 3 bytes per UTF-16 code unit. */
function maxUtf8Length(value: string): number {
  return 3 * value.length;
}

/** Reusable buffer for hash inputs (hashing is synchronous, so one is enough). */
let scratch = Buffer.allocUnsafe(1024);

function scratchBuffer(capacity: number): Buffer {
  if (scratch.length < capacity) scratch = Buffer.allocUnsafe(Math.max(capacity, 2 * scratch.length));
  return scratch;
}

const digestWords = new Uint32Array(4);

/** Uppercase hex of every byte value (Number#toString(16) is far slower on this hot path). */
const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).toUpperCase().padStart(2, "0"));

function hexWord(word: number): string {
  return (
    HEX_BYTE[word >>> 24] +
    HEX_BYTE[(word >>> 16) & 0xff] +
    HEX_BYTE[(word >>> 8) & 0xff] +
    HEX_BYTE[word & 0xff]
  );
}

function hexBytes(bytes: readonly number[]): string {
  let hex = "";
  for (const byte of bytes) hex += HEX_BYTE[byte];
  return hex;
}

function epkV2(values: PartitionKeyValue[]): string {
  let capacity = 0;
  for (const value of values) capacity += typeof value === "string" ? maxUtf8Length(value) + 2 : 9;
  const input = scratchBuffer(capacity);
  let offset = 0;
  for (const value of values) {
    if (typeof value === "string") {
      input[offset++] = Marker.String;
      offset += input.write(value, offset, "utf8");
      input[offset++] = Marker.Infinity;
    } else {
      offset = writeScalar(input, offset, value);
    }
  }

  // The EPK is the 128-bit digest read big-endian (the canonical digest bytes reversed), i.e.
  // h2 then h1 as big-endian 64-bit integers, with the first byte masked to 0x00..0x3F.
  murmurHash3x64_128Words(input.subarray(0, offset), 0, digestWords);
  const [h1High, h1Low, h2High, h2Low] = digestWords;
  return hexWord(h2High & 0x3fffffff) + hexWord(h2Low) + hexWord(h1High) + hexWord(h1Low);
}

function epkV1(value: PartitionKeyValue): string {
  const bytes: number[] = [];
  if (typeof value === "string") {
    const truncated = value.slice(0, V1_MAX_STRING_CHARS);
    const input = scratchBuffer(maxUtf8Length(truncated) + 2);
    input[0] = Marker.String;
    const utf8Length = input.write(truncated, 1, "utf8");
    input[utf8Length + 1] = Marker.Undefined;
    writeSortableNumber(murmurHash3x86_32(input.subarray(0, utf8Length + 2)), bytes);

    // The value part: the UTF-8 bytes shifted by one (UTF-8 never contains 0xFF) between markers.
    bytes.push(Marker.String);
    for (let i = 1; i <= utf8Length; i++) bytes.push(input[i] + 1);
    bytes.push(Marker.Undefined);
  } else {
    const input = scratchBuffer(9);
    const length = writeScalar(input, 0, value);
    writeSortableNumber(murmurHash3x86_32(input.subarray(0, length)), bytes);

    if (typeof value === "number") writeSortableNumber(value, bytes);
    else bytes.push(scalarMarker(value));
  }
  return hexBytes(bytes);
}

// ---------------------------------------------------------------------------------------------
// Sortable number encoding (V1)
// ---------------------------------------------------------------------------------------------

const UINT64_MASK = (1n << 64n) - 1n;
const SIGN_BIT = 1n << 63n;
const float64View = new DataView(new ArrayBuffer(8));

/**
 * Appends the order-preserving binary encoding of a double (the SDK's
 * writeNumberForBinaryEncoding): marker 0x05, then the IEEE bits made unsigned-sortable
 * (non-negative: sign bit flipped; negative: two's complement negation), written as the top
 * byte followed by 7-bit groups (low bit 1 = "more follows"), trailing zero groups dropped.
 */
function writeSortableNumber(value: number, out: number[]): void {
  float64View.setFloat64(0, value);
  const bits = float64View.getBigUint64(0);
  let payload = bits < SIGN_BIT ? bits ^ SIGN_BIT : -bits & UINT64_MASK;

  out.push(Marker.Number, Number(payload >> 56n));
  payload = (payload << 8n) & UINT64_MASK;
  for (;;) {
    const byte = Number(payload >> 56n) | 1;
    payload = (payload << 7n) & UINT64_MASK;
    if (payload === 0n) {
      const last = byte & 0xfe;
      if (last !== 0) out.push(last);
      return;
    }
    out.push(byte);
  }
}

/** Uppercase hex of the sortable binary encoding of `value` (the V1 EPK prefix for a hash). */
export function sortableNumberHex(value: number): string {
  const bytes: number[] = [];
  writeSortableNumber(value, bytes);
  return hexBytes(bytes);
}

/** Inverse of sortableNumberHex: the double whose encoding `hex` is. */
export function readSortableNumberHex(hex: string): number {
  const bytes = (hex.match(/../g) ?? []).map((pair) => parseInt(pair, 16));
  if (bytes[0] !== Marker.Number || bytes.length < 2) {
    throw new RangeError(`${hex} is not a sortable number encoding`);
  }
  // The top byte is whole; each later byte carries the next 7 bits in its high bits.
  let payload = BigInt(bytes[1]) << 56n;
  bytes.slice(2).forEach((byte, i) => {
    payload |= BigInt(byte >> 1) << BigInt(49 - 7 * i);
  });
  const bits = payload >= SIGN_BIT ? payload ^ SIGN_BIT : -payload & UINT64_MASK;
  float64View.setBigUint64(0, bits);
  return float64View.getFloat64(0);
}

// ---------------------------------------------------------------------------------------------
// Partition key extraction
// ---------------------------------------------------------------------------------------------

/** The SDK's path of "system" partition keys (containers migrated from non-partitioned ones). */
const SYSTEM_PARTITION_KEY_PATH = "/_partitionKey";

/**
 * Splits a partition key path into property names like the SDK's parsePath: `/a/b` → [a, b];
 * segments may be quoted with " or ' (`/"a b"/c`), a backslash-escaped quote does not end the
 * segment (and is kept as is, as in the SDK); unquoted segments are trimmed.
 */
export function parsePartitionKeyPath(path: string): string[] {
  const parts: string[] = [];
  let index = 0;
  const invalid = (): Error => new Error(`Path ${path} is invalid at index ${index}`);

  while (index < path.length) {
    if (path[index] !== "/") throw invalid();
    if (++index === path.length) break;

    const quote = path[index];
    if (quote === '"' || quote === "'") {
      const start = ++index;
      let end = start;
      for (;;) {
        end = path.indexOf(quote, end);
        if (end === -1) throw invalid();
        if (path[end - 1] !== "\\") break;
        end++;
      }
      parts.push(path.slice(start, end));
      index = end + 1;
    } else {
      const end = path.indexOf("/", index);
      const stop = end === -1 ? path.length : end;
      parts.push(path.slice(index, stop).trim());
      index = stop;
    }
  }
  return parts;
}

function isAbsent(value: PartitionKeyValue): boolean {
  return typeof value === "object" && value !== null;
}

/** The value at `path` in `document`; absent (or not a string/number/boolean/null) → `{}`. */
function valueAtPath(path: string, document: Record<string, unknown>): PartitionKeyValue {
  let current: unknown = document;
  for (const part of parsePartitionKeyPath(path)) {
    if (
      typeof current !== "object" ||
      current === null ||
      !Object.prototype.hasOwnProperty.call(current, part)
    ) {
      return {};
    }
    current = (current as Record<string, unknown>)[part];
  }
  if (
    typeof current === "string" ||
    typeof current === "number" ||
    typeof current === "boolean" ||
    current === null
  ) {
    return current;
  }
  // Missing, `{}`, or a value that cannot be a partition key (object/array): "undefined".
  return {};
}

/**
 * The partition key of `document`: one value per path of `definition`, `{}` for an absent path.
 * Like the SDK, a systemKey container yields `[]` unless it is keyed on `/_partitionKey` and the
 * item has a non-null value there.
 */
export function extractPartitionKey(
  definition: PartitionKeyDefinition,
  document: Record<string, unknown>,
): PartitionKeyValue[] {
  const paths = definition.paths;
  if (definition.systemKey === true) {
    if (paths.length !== 1 || paths[0] !== SYSTEM_PARTITION_KEY_PATH) return [];
    const value = valueAtPath(paths[0], document);
    return value === null || isAbsent(value) ? [] : [value];
  }
  return paths.map((path) => valueAtPath(path, document));
}

// ---------------------------------------------------------------------------------------------
// Range boundaries
// ---------------------------------------------------------------------------------------------

/**
 * `partitionCount + 1` strictly increasing EPK boundaries from "" to "FF" that split the hash
 * space evenly; partition i owns [boundaries[i], boundaries[i + 1]).
 *
 * - V2 / MultiHash: EPKs start with a 128-bit hash whose first byte is at most 0x3F, so the
 *   interior boundaries are floor(i * 2^126 / N) as 32 hex chars (a longer MultiHash EPK compares
 *   by its first component, then after it).
 * - V1: EPKs start with the sortable encoding of the uint32 hash, so the interior boundaries are
 *   the encodings of floor(i * 2^32 / N). (Capped at 16384 partitions: beyond that a boundary could
 *   fall below 2^18, where the encoding of the hashes 2 and 2^17 is a prefix of boundary encodings
 *   and the item's value encoding that follows would decide the order.)
 */
export function epkRangeBoundaries(definition: PartitionKeyDefinition, partitionCount: number): string[] {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }
  const scheme = hashScheme(definition);
  if (scheme === "V1" && partitionCount > V1_MAX_PARTITION_COUNT) {
    throw new RangeError(`At most ${V1_MAX_PARTITION_COUNT} partitions are supported for V1 partition keys`);
  }
  const space = hashSpace(scheme);
  const count = BigInt(partitionCount);
  const boundaries = [MIN_EPK];
  for (let i = 1n; i < count; i++) boundaries.push(boundaryAt(scheme, (i * space) / count));
  boundaries.push(MAX_EPK);
  return boundaries;
}

/** Interior boundaries below this V1 hash would break EPK order (see epkRangeBoundaries). */
const V1_MIN_BOUNDARY = 2n ** 32n / BigInt(V1_MAX_PARTITION_COUNT);

/** Size of the hash space boundaries are positions in: the uint32 hash (V1) or the masked 126-bit hash. */
function hashSpace(scheme: HashScheme): bigint {
  return scheme === "V1" ? 1n << 32n : 1n << 126n;
}

/** The boundary EPK at `position` in the hash space; 0 and the space size are "" and "FF". */
function boundaryAt(scheme: HashScheme, position: bigint): string {
  if (position === 0n) return MIN_EPK;
  if (position === hashSpace(scheme)) return MAX_EPK;
  return scheme === "V1"
    ? sortableNumberHex(Number(position))
    : position.toString(16).toUpperCase().padStart(32, "0");
}

/** Inverse of boundaryAt, for boundaries this module made. */
function positionOf(scheme: HashScheme, boundary: string): bigint {
  if (boundary === MIN_EPK) return 0n;
  if (boundary === MAX_EPK) return hashSpace(scheme);
  return scheme === "V1" ? BigInt(readSortableNumberHex(boundary)) : BigInt(`0x${boundary}`);
}

/** The width of the range [minInclusive, maxExclusive) in hash positions (to pick the largest range). */
export function epkRangeWidth(
  definition: PartitionKeyDefinition,
  minInclusive: string,
  maxExclusive: string,
): bigint {
  const scheme = hashScheme(definition);
  return positionOf(scheme, maxExclusive) - positionOf(scheme, minInclusive);
}

/**
 * The boundary that halves [minInclusive, maxExclusive), as a partition split does; undefined when the
 * range is too narrow to split (one hash wide, or a V1 boundary would fall below the order-safe minimum).
 */
export function epkRangeMidpoint(
  definition: PartitionKeyDefinition,
  minInclusive: string,
  maxExclusive: string,
): string | undefined {
  const scheme = hashScheme(definition);
  const low = positionOf(scheme, minInclusive);
  const middle = (low + positionOf(scheme, maxExclusive)) / 2n;
  if (middle === low || (scheme === "V1" && middle < V1_MIN_BOUNDARY)) return undefined;
  return boundaryAt(scheme, middle);
}

/** Index of the range of `boundaries` (from epkRangeBoundaries) that owns `epk`. */
export function rangeIndexOf(boundaries: readonly string[], epk: string): number {
  let low = 0;
  let high = boundaries.length - 2;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (boundaries[mid] <= epk) low = mid;
    else high = mid - 1;
  }
  return low;
}
