import type { Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import { readAllItems } from "./seed";

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
  const missing = [...sourceItems.keys()].filter((id) => !targetItems.has(id));
  const extra = [...targetItems.keys()].filter((id) => !sourceItems.has(id));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, "the same ids on both sides");
  for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);
  return sourceItems.size;
}
