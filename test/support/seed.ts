import { BulkOperationType, type Container, type JSONObject } from "@azure/cosmos";

/**
 * Test and benchmark data: `count` items spread over `partitionKeys` values of `/pk`, each padded to about
 * `itemBytes`, with `category` and `customerId` fields a target can use as its different partition key.
 */
export interface SeedOptions {
  count: number;
  partitionKeys: number;
  itemBytes?: number;
  idPrefix?: string;
}

export function makeItem(index: number, options: SeedOptions): JSONObject {
  const base = {
    id: `${options.idPrefix ?? "item"}-${index}`,
    pk: `customer-${index % options.partitionKeys}`,
    category: `category-${index % 37}`,
    customerId: `customer-${(index * 7919) % 1000}`,
    index,
    total: Math.round(index * 1.37 * 100) / 100,
    tags: [`t${index % 5}`, `t${index % 11}`],
  };
  const padding = Math.max(0, (options.itemBytes ?? 0) - JSON.stringify(base).length - 12);
  return padding > 0 ? { ...base, padding: "x".repeat(padding) } : base;
}

/** Writes the items with concurrent bulk requests of 100; throws if any write fails. */
export async function seedContainer(
  container: Container,
  options: SeedOptions,
  concurrency = 8,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const start = next;
      next = Math.min(options.count, next + 100);
      const operations = [];
      for (let i = start; i < next; i++) {
        operations.push({ operationType: BulkOperationType.Upsert, resourceBody: makeItem(i, options) });
      }
      let pending = operations;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const results = await container.items.bulk(pending, { continueOnError: true });
        const fatal = results.find((r) => r.statusCode >= 300 && r.statusCode !== 429);
        if (fatal || attempt > 50) throw new Error(`seeding failed: ${JSON.stringify(fatal ?? results[0])}`);
        pending = pending.filter((_, i) => results[i].statusCode === 429);
        if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const systemProperties = new Set(["_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"]);

/** Every item of a container by id, without system properties. */
export async function readAllItems(container: Container): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  const iterator = container.items.query<Record<string, unknown>>("SELECT * FROM c", { maxItemCount: 1000 });
  while (iterator.hasMoreResults()) {
    for (const item of (await iterator.fetchNext()).resources) {
      const body = Object.fromEntries(Object.entries(item).filter(([name]) => !systemProperties.has(name)));
      items.set(String(body.id), body);
    }
  }
  return items;
}
