import { createHash } from "node:crypto";

/** Properties the service adds to every item; a copy drops them so the target assigns its own. */
export const systemProperties = ["_rid", "_self", "_etag", "_ts", "_lsn", "_attachments"] as const;

export function withoutSystemProperties(item: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!(systemProperties as readonly string[]).includes(name)) copy[name] = value;
  }
  return copy;
}

/** JSON with object keys sorted, so equal bodies hash equally whatever order their properties came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** An item's body as the copy writes it, in a form equal for equal bodies: for comparing two items. */
export function canonicalBody(item: Record<string, unknown>): string {
  return canonicalJson(withoutSystemProperties(item));
}

/** A 64-bit hash of an item's body (the first 8 bytes of its canonical form's SHA-256). */
export function bodyHash(item: Record<string, unknown>): bigint {
  return createHash("sha256").update(canonicalBody(item)).digest().readBigUInt64BE(0);
}

/**
 * An order-independent checksum of a set of item bodies: the sum, modulo 2^64, of the first 8 bytes of each
 * body's SHA-256. Summing (not XOR) keeps duplicates visible; order of reading does not matter.
 */
export class BodyChecksum {
  private sum = 0n;
  count = 0;

  /** A checksum that continues from a stored `value` (its count is not stored with it). */
  static from(value: string | undefined): BodyChecksum {
    const checksum = new BodyChecksum();
    checksum.sum = value ? BigInt(`0x${value}`) : 0n;
    return checksum;
  }

  add(item: Record<string, unknown>): void {
    this.sum = (this.sum + bodyHash(item)) & 0xffffffffffffffffn;
    this.count += 1;
  }

  /** Adds another set's bodies: the checksum of the union of two disjoint sets. */
  merge(other: BodyChecksum): void {
    this.sum = (this.sum + other.sum) & 0xffffffffffffffffn;
    this.count += other.count;
  }

  get value(): string {
    return this.sum.toString(16).padStart(16, "0");
  }
}
