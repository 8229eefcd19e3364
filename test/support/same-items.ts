import type { Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import type { ItemTransform } from "../../engine";
import { readAllItems } from "./seed";

/** `actual` holds exactly the items of `expected`: the same ids, each with the same body. */
function assertSameBodies(
  expected: Map<string, Record<string, unknown>>,
  actual: Map<string, Record<string, unknown>>,
  what: string,
): void {
  const missing = [...expected.keys()].filter((id) => !actual.has(id));
  const extra = [...actual.keys()].filter((id) => !expected.has(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, what);
  for (const [id, body] of expected) assert.deepEqual(actual.get(id), body, `item ${id}`);
}

/**
 * The target holds exactly the source's items: the same ids, each with the same body, so the same count;
 * none of `deleted` (ids the application deleted during an online copy). Returns the count.
 */
export async function assertSameItems(
  source: Container,
  target: Container,
  deleted: ReadonlySet<string> = new Set(),
): Promise<number> {
  const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
  for (const id of deleted) assert.equal(targetItems.has(id), false, `deleted item ${id} is absent`);
  assertSameBodies(sourceItems, targetItems, "the same ids on both sides");
  return sourceItems.size;
}

/** A transform module's export, loaded by the test itself: its own reference of what a copy must write. */
export function referenceTransform(file: string, exportName = "transform"): ItemTransform {
  return (createRequire(file)(file) as Record<string, ItemTransform>)[exportName];
}

/**
 * The target holds exactly the source's items through `transform`: every item it writes, by id with the
 * same body, and none it skips. Returns how many it writes and skips.
 */
export async function assertTransformedItems(
  source: Container,
  target: Container,
  transform: ItemTransform,
): Promise<{ written: number; skipped: number }> {
  const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
  const expected = new Map<string, Record<string, unknown>>();
  for (const item of sourceItems.values()) {
    const transformed = transform(item);
    if (transformed) expected.set(String(transformed.id), transformed);
  }
  assertSameBodies(expected, targetItems, "the same ids as the transformed source");
  return { written: expected.size, skipped: sourceItems.size - expected.size };
}
