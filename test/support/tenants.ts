import type { Container, JSONObject } from "@azure/cosmos";
import { upsertBatch } from "./seed";

/**
 * Test data for synthetic-key migrations: items of a multi-tenant container partitioned on `/tenantId`,
 * whose new key combines `tenantId` and `userId`, and the transform module that derives it.
 */
export function tenantItem(index: number): JSONObject {
  return {
    id: `item-${index}`,
    tenantId: `tenant-${index % 40}`,
    userId: `user-${(index * 7919) % 500}`,
    index,
    legacy: `old-${index}`,
    payload: "x".repeat(200),
  };
}

/** Writes `tenantItem(0 … count-1)`, with 8 bulk requests of 100 items in flight. */
export async function seedTenants(container: Container, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + 100);
      const items: JSONObject[] = [];
      for (let i = start; i < next; i++) items.push(tenantItem(i));
      await upsertBatch(container, items);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** A transform module (CommonJS) that derives `/tenantUser` and drops a field the target does not need. */
export const syntheticKeyModule = `
exports.transform = (item) => {
  const { legacy, ...rest } = item;
  return { ...rest, tenantUser: item.tenantId + "-" + item.userId };
};
`;
