import { types } from "cassandra-driver";

/**
 * The ranges a Cassandra copy job leases, checkpoints and verifies: the Murmur3 ring cut into equal slices
 * the job bounds itself. The driver's token map is not used: Azure Cosmos DB for Apache Cassandra accepts
 * `token(pk) > ? AND token(pk) <= ?` but its token map means nothing, so the ring is split the same way on
 * every cluster.
 *
 * Murmur3 tokens are signed 64-bit longs; a key's token is in (-2^63, 2^63-1] (the partitioner never gives
 * -2^63), so ranges (lower, upper] starting at -2^63 and ending at 2^63-1 cover every row once.
 *
 * A range record keeps its bounds as strings that sort as the tokens do: the token plus 2^63 as 16 lower-case
 * hex digits, from "0000000000000000" (-2^63) to "ffffffffffffffff" (2^63-1). Adjacent ranges share a bound.
 */
export interface TokenRange {
  /** The token the range starts after (exclusive), as a bound string. */
  lower: string;
  /** The range's last token (inclusive), as a bound string. */
  upper: string;
}

/**
 * 64: a range is the unit workers lease and hand over and a checkpoint's scope, so a few workers need
 * several ranges each to share the ring evenly (and to rebalance when one joins); each range costs a range
 * record, a lease and at least one query, so thousands would spend more on bookkeeping than on rows. At 64,
 * up to 8 workers hold 8 ranges each, and a table of a million rows has ~16,000 per range: many pages.
 */
export const defaultTokenRangeCount = 64;

/** The most ranges a ring is split into: beyond it range records and leases outweigh the rows they cover. */
export const maxTokenRangeCount = 4096;

const ringSize = 1n << 64n;
const tokenOffset = 1n << 63n;
const boundPattern = /^[0-9a-f]{16}$/;

function boundString(offsetToken: bigint): string {
  return offsetToken.toString(16).padStart(16, "0");
}

/** The whole ring as `count` contiguous ranges of (nearly) equal width, in token order. */
export function splitRing(count: number = defaultTokenRangeCount): TokenRange[] {
  if (!Number.isInteger(count) || count < 1 || count > maxTokenRangeCount) {
    throw new RangeError(
      `Cannot split the token ring into ${count} ranges: give a whole number from 1 to ${maxTokenRangeCount}.`,
    );
  }
  // Bounds in offset space [0, 2^64-1]; the last is the ring's end, so no token is left after it.
  const bounds = Array.from({ length: count }, (_, i) => (BigInt(i) * ringSize) / BigInt(count));
  bounds.push(ringSize - 1n);
  return bounds.slice(0, -1).map((lower, i) => ({
    lower: boundString(lower),
    upper: boundString(bounds[i + 1]),
  }));
}

/** A bound string as the signed token it stands for, as a bigint. */
export function boundToken(bound: string): bigint {
  if (!boundPattern.test(bound)) {
    throw new RangeError(
      `'${bound}' is not a token range bound: expected 16 lower-case hex digits (the token plus 2^63).`,
    );
  }
  return BigInt(`0x${bound}`) - tokenOffset;
}

/** A bound string as the `types.Long` a prepared `token(…) > ?` statement binds. */
export function boundLong(bound: string): types.Long {
  return types.Long.fromString(boundToken(bound).toString(), false, 10);
}

/** The bound string of a token (as the driver returns `token(…)`, a Long, or as a bigint). */
export function tokenBound(token: types.Long | bigint): string {
  const value = typeof token === "bigint" ? token : BigInt(token.toString());
  if (value < -tokenOffset || value >= tokenOffset) {
    throw new RangeError(`${value} is not a Murmur3 token: tokens are signed 64-bit integers.`);
  }
  return boundString(value + tokenOffset);
}

/** Whether a token (as its bound string) falls in a range. */
export function rangeHoldsToken(range: TokenRange, token: string): boolean {
  return range.lower < token && token <= range.upper;
}
