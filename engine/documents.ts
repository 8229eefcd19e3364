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

/**
 * An order-independent checksum of a set of item bodies: the sum, modulo 2^64, of the first 8 bytes of each
 * body's SHA-256. Summing (not XOR) keeps duplicates visible; order of reading does not matter.
 */
export class BodyChecksum {
  private sum = 0n;
  count = 0;

  add(item: Record<string, unknown>): void {
    const digest = createHash("sha256")
      .update(canonicalJson(withoutSystemProperties(item)))
      .digest();
    this.sum = (this.sum + digest.readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.count += 1;
  }

  get value(): string {
    return this.sum.toString(16).padStart(16, "0");
  }
}
