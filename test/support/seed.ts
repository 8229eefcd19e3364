import { BulkOperationType, type Container, type JSONObject } from "@azure/cosmos";
import { TargetRanges } from "../../engine/target-ranges";
import { extractPartitionKey } from "../../partitioning/effective-partition-key";

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

export function makeItem(index: number, options: SeedOptions) {
  const base = {
    id: `${options.idPrefix ?? "item"}-${index}`,
    pk: `customer-${index % options.partitionKeys}`,
    category: `category-${index % 37}`,
    customerId: `customer-${(index * 7919) % 1000}`,
    index,
    total: Math.round(index * 1.37 * 100) / 100,
    tags: [`t${index % 5}`, `t${index % 11}`],
  };
  return padded(base, options.itemBytes);
}

/** `body` with a `padding` field that brings it to about `itemBytes` as JSON (unchanged without one). */
export function padded<Body extends JSONObject>(body: Body, itemBytes = 0): Body & { padding?: string } {
  const padding = Math.max(0, itemBytes - JSON.stringify(body).length - 12);
  return padding > 0 ? { ...body, padding: "x".repeat(padding) } : body;
}

/** Upserts documents in one bulk call, riding out per-operation 429s; throws on any other failure. */
export async function upsertBatch(container: Container, documents: JSONObject[]): Promise<void> {
  let pending = documents.map((resourceBody) => ({ operationType: BulkOperationType.Upsert, resourceBody }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const results = await container.items.bulk(pending, { continueOnError: true });
    const fatal = results.find((r) => r.statusCode >= 300 && r.statusCode !== 429);
    if (fatal || attempt > 50) throw new Error(`seeding failed: ${JSON.stringify(fatal ?? results[0])}`);
    pending = pending.filter((_, i) => results[i].statusCode === 429);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Writes the items with `concurrency` bulk requests in flight, each of up to 100 items of one physical
 * partition (grouped as the copy engine groups its writes), so each call is one request: the fastest way
 * the endpoint takes writes, which the bench uses as its raw write ceiling.
 */
export async function seedContainer(
  container: Container,
  options: SeedOptions,
  concurrency = 8,
): Promise<void> {
  const ranges = await TargetRanges.load(container);
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const start = next;
      next = Math.min(options.count, next + 1000);
      const items: JSONObject[] = [];
      for (let i = start; i < next; i++) items.push(makeItem(i, options));
      for (const group of ranges.group(items, extractPartitionKey)) {
        for (let i = 0; i < group.length; i += 100) {
          await upsertBatch(container, group.slice(i, i + 100));
        }
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
