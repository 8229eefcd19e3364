import {
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  type Container,
  type ContainerRequest,
  type Database,
} from "@azure/cosmos";
import { makeItem, seedContainer, type SeedOptions } from "../test/support/seed";

/**
 * The data every copier moves: items of about 1 KB (one started KB, so a write costs 5 RU) spread over 1,000
 * values of `/pk`, copied into targets partitioned by `/category`, as a re-partitioning migration does.
 */
export const itemBytes = 1000;
const sourcePartitionKeyPath = "/pk";
export const targetPartitionKeyPath = "/category";
const partitionKeys = 1000;

/**
 * `keepChanges`: the container keeps its all-versions-and-deletes change feed, which an online copy of it
 * tails, for an hour: longer than any bench run.
 */
export async function createContainer(
  database: Database,
  id: string,
  partitionKeyPath: string,
  throughput: number,
  keepChanges = false,
): Promise<Container> {
  const request: ContainerRequest = { id, partitionKey: { paths: [partitionKeyPath] }, throughput };
  if (keepChanges)
    request.changeFeedPolicy = new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60));
  const { container } = await database.containers.create(request);
  return container;
}

/** The items of the source named `sourceId`: built the same way wherever they are written. */
export function sourceItems(sourceId: string, count: number): SeedOptions {
  return { count, partitionKeys, itemBytes, idPrefix: sourceId };
}

export async function createSeededSource(
  database: Database,
  id: string,
  count: number,
  throughput: number,
  keepChanges = false,
): Promise<Container> {
  const source = await createContainer(database, id, sourcePartitionKeyPath, throughput, keepChanges);
  await seedContainer(source, sourceItems(id, count));
  return source;
}

/** The ids and partition keys of what `createSeededSource` wrote: the items an application would change. */
export function seededKeys(sourceId: string, count: number): { id: string; pk: string }[] {
  const options = sourceItems(sourceId, count);
  return Array.from({ length: count }, (_, index) => {
    const { id, pk } = makeItem(index, options);
    return { id, pk };
  });
}

/** Bytes of one item as stored (without system properties): checks the 1 KB the RU model is priced on. */
export function storedItemBytes(): number {
  return Buffer.byteLength(JSON.stringify(makeItem(0, { count: 1, partitionKeys, itemBytes })));
}

/**
 * Items in a container, counted page by page: cosmos-emulator answers an aggregate in one request that
 * holds every item in memory, which on a million items outlasts the SDK's request timeout.
 */
export async function countItems(container: Container): Promise<number> {
  let count = 0;
  const pages = container.items.query<number>("SELECT VALUE 1 FROM c", { maxItemCount: 10000 });
  for await (const page of pages.getAsyncIterator()) count += page.resources.length;
  return count;
}
