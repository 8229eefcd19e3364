import {
  BulkOperationType,
  ChangeFeedStartFrom,
  CosmosClient,
  type ChangeFeedPullModelIterator,
  type Container,
  type FeedRange,
  type PartitionKeyRange,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { authorizationHeader } from "../emulator/auth";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { seedContainer } from "./support/seed";

/**
 * Partition splits as the service does them, seen through the official SDK: when a container's throughput
 * outgrows its partitions (10,000 RU/s each; a new container gets one per 6,000) or the admin control splits
 * a range, the parent range id is gone (410/1002) and the SDK moves its change-feed continuations, bulk
 * batches and queries to the children.
 */
interface Item {
  id: string;
  pk: string;
}

type Iterator = ChangeFeedPullModelIterator<Item>;

function iterator(container: Container, start: ChangeFeedStartFrom): Iterator {
  return container.items.getChangeFeedIterator<Item>({ changeFeedStartFrom: start, maxItemCount: 100 });
}

/** Reads pages until the feed has nothing new (304); returns the ids seen and where to continue. */
async function drain(feed: Iterator): Promise<{ ids: string[]; continuation: string }> {
  const ids: string[] = [];
  for (;;) {
    const page = await feed.readNext();
    if (page.statusCode === 304) return { ids, continuation: page.continuationToken };
    ids.push(...page.result.map((item) => item.id));
  }
}

function assertExactlyOnce(ids: string[], expected: string[], what: string): void {
  assert.deepEqual([...ids].sort(), [...expected].sort(), what);
}

function itemIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

async function upsert(container: Container, ids: string[]): Promise<void> {
  const results = await container.items.executeBulkOperations(
    ids.map((id, i) => ({
      operationType: BulkOperationType.Upsert,
      partitionKey: `customer-${i % 97}`,
      resourceBody: { id, pk: `customer-${i % 97}` },
    })),
  );
  assert.ok(
    results.every((r) => r.response !== undefined && r.response.statusCode < 300),
    `every upsert succeeded: ${JSON.stringify(results.find((r) => !r.response || r.response.statusCode >= 300)?.error?.message)}`,
  );
}

/** Sorted by EPK, the ranges must run from "" to "FF" without gap or overlap. */
function assertTiles(ranges: readonly { minInclusive: string; maxExclusive: string }[]): void {
  const sorted = [...ranges].sort((a, b) => (a.minInclusive < b.minInclusive ? -1 : 1));
  assert.equal(sorted[0].minInclusive, "");
  assert.equal(sorted[sorted.length - 1].maxExclusive, "FF");
  for (let i = 1; i < sorted.length; i++) assert.equal(sorted[i].minInclusive, sorted[i - 1].maxExclusive);
}

async function partitionKeyRanges(container: Container): Promise<PartitionKeyRange[]> {
  return (await container.readPartitionKeyRanges().fetchAll()).resources;
}

async function countItems(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
  return resources[0];
}

/** A change-feed read from the beginning of one partition key range by id, as raw REST. */
async function readRangeFeed(
  cosmos: TestEndpoint,
  container: Container,
  rangeId: string,
): Promise<{ status: number; substatus?: string; code?: string }> {
  const link = `dbs/${container.database.id}/colls/${container.id}`;
  const date = new Date().toUTCString();
  const response = await fetch(new URL(`${link}/docs`, cosmos.endpoint), {
    headers: {
      authorization: authorizationHeader(cosmos.key, "GET", "docs", link, date),
      "x-ms-date": date,
      "x-ms-version": "2020-07-15",
      "a-im": "Incremental Feed",
      "x-ms-documentdb-partitionkeyrangeid": rangeId,
    },
  });
  const body = (await response.json()) as { code?: string };
  return {
    status: response.status,
    substatus: response.headers.get("x-ms-substatus") ?? undefined,
    code: body.code,
  };
}

describe("partition splits (cosmos-emulator, split past 10,000 RU/s per partition)", function () {
  let cosmos: TestEndpoint;
  let databaseId: string;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // splits are driven through the local emulator's admin control
    cosmos = await openEndpoint({ http: true });
    databaseId = uniqueName("splits");
    await cosmos.client.databases.create({ id: databaseId });
  });

  after(async () => cosmos?.stop());

  async function createContainer(id: string, throughput: number): Promise<Container> {
    const { container } = await cosmos.client
      .database(databaseId)
      .containers.create({ id, partitionKey: { paths: ["/pk"] }, throughput });
    return container;
  }

  const split = (container: Container, rangeId?: string) =>
    cosmos.admin!.splitPartition(databaseId, container.id, rangeId);

  it("keeps every change-feed item exactly once across a split: same iterator, saved continuation, old feed range", async function () {
    const container = await createContainer("feed", 12000);
    await seedContainer(container, { count: 2000, partitionKeys: 200 });
    const seeded = itemIds("item", 2000);
    const before = await container.getFeedRanges();
    assert.equal(before.length, 2, "12,000 RU/s starts with 2 partitions");

    const iterators = before.map((range) => iterator(container, ChangeFeedStartFrom.Beginning(range)));
    const firstPages = await Promise.all(iterators.map((feed) => feed.readNext()));
    const firstIds = firstPages.flatMap((page) => page.result.map((item) => item.id));
    assert.equal(firstIds.length, 200, "one page of 100 from each range");

    const parents = await partitionKeyRanges(container);
    const splits = [await split(container), await split(container)];
    assert.deepEqual(splits.map((s) => s.parent).sort(), parents.map((p) => p.id).sort());

    const after = await partitionKeyRanges(container);
    assert.equal(after.length, 4);
    assertTiles(after);
    const parentIds = new Set(parents.map((p) => p.id));
    for (const range of after) {
      assert.ok(!parentIds.has(range.id), `child ${range.id} has a fresh id`);
      assert.equal(range.parents.length, 1);
      assert.ok(parentIds.has(range.parents[0]), `child ${range.id} lists its parent`);
    }
    assertTiles(await container.getFeedRanges());

    const sameIterators = await Promise.all(iterators.map(drain));
    assertExactlyOnce(
      [...firstIds, ...sameIterators.flatMap((r) => r.ids)],
      seeded,
      "the iterators that started before the split",
    );

    const resumed = firstPages.map((page) =>
      iterator(container, ChangeFeedStartFrom.Continuation(page.continuationToken)),
    );
    const resumedReads = await Promise.all(resumed.map(drain));
    assertExactlyOnce(
      [...firstIds, ...resumedReads.flatMap((r) => r.ids)],
      seeded,
      "iterators resumed from continuations saved before the split",
    );

    const fromOldRanges = await Promise.all(
      before.map((range: FeedRange) => drain(iterator(container, ChangeFeedStartFrom.Beginning(range)))),
    );
    assertExactlyOnce(
      fromOldRanges.flatMap((r) => r.ids),
      seeded,
      "feed ranges taken before the split, read from the beginning",
    );

    const fresh = itemIds("fresh", 150);
    await upsert(container, fresh);
    for (const [what, feeds] of [
      ["same iterators", iterators],
      ["resumed iterators", resumed],
    ] as const) {
      const reads = await Promise.all(feeds.map(drain));
      assertExactlyOnce(
        reads.flatMap((r) => r.ids),
        fresh,
        `writes after the split arrive once (${what})`,
      );
    }
  });

  it("splits when throughput is raised from 400 to 25,000 RU/s; items stay readable by point read and query", async function () {
    const container = await createContainer("raised", 400);
    const ids = itemIds("item", 100);
    await seedContainer(container, { count: 100, partitionKeys: 30 }, 2);
    assert.equal((await container.getFeedRanges()).length, 1);

    const { resource: offer } = await container.readOffer();
    assert.ok(offer);
    await cosmos.client
      .offer(offer.id)
      .replace({ ...offer, content: { ...offer.content!, offerThroughput: 25000 } });
    assert.equal((await container.readOffer()).resource?.content?.offerThroughput, 25000);

    const ranges = await container.getFeedRanges();
    assert.equal(ranges.length, 3, "ceil(25,000 / 10,000) partitions");
    assertTiles(ranges);
    assert.ok((await partitionKeyRanges(container)).every((range) => range.parents.includes("0")));

    for (let i = 0; i < ids.length; i++) {
      const { resource } = await container.item(ids[i], `customer-${i % 30}`).read<Item>();
      assert.equal(resource?.id, ids[i]);
    }
    assert.equal(await countItems(container), 100);
    // A client that reads the routing map after the split sends the query once per child range.
    const fresh = new CosmosClient(cosmos.clientOptions);
    try {
      const { resources } = await fresh
        .database(databaseId)
        .container(container.id)
        .items.query<Item>("SELECT * FROM c", { forceQueryPlan: true, maxItemCount: 10 })
        .fetchAll();
      assertExactlyOnce(
        resources.map((item) => item.id),
        ids,
        "a query per partition key range",
      );
    } finally {
      fresh.dispose();
    }
  });

  it("answers a change-feed read addressed to a split range with 410 / substatus 1002, which the SDK follows", async function () {
    const container = await createContainer("gone", 400);
    await upsert(container, itemIds("before", 5));
    const feed = iterator(container, ChangeFeedStartFrom.Beginning());
    assertExactlyOnce((await drain(feed)).ids, itemIds("before", 5), "before the split");
    assert.equal((await readRangeFeed(cosmos, container, "0")).status, 200);

    const { parent, children } = await split(container);
    assert.equal(parent, "0");
    const gone = await readRangeFeed(cosmos, container, parent);
    assert.equal(gone.status, 410);
    assert.equal(gone.substatus, "1002");
    assert.equal(gone.code, "Gone");
    for (const child of children)
      assert.equal((await readRangeFeed(cosmos, container, child.id)).status, 200);

    // Point writes leave the SDK's routing map stale, so its next read goes to range 0 and gets the 410.
    const after = itemIds("after", 20);
    for (const id of after) await container.items.upsert({ id, pk: id });
    assertExactlyOnce((await drain(feed)).ids, after, "after the split");
  });

  it("keeps bulk upserts working across splits (executeBulkOperations and items.bulk)", async function () {
    const container = await createContainer("bulk", 12000);
    await upsert(container, itemIds("first", 300));
    await split(container);
    await upsert(container, itemIds("second", 300));
    await split(container);
    const results = await container.items.bulk(
      itemIds("third", 100).map((id, i) => ({
        operationType: BulkOperationType.Upsert,
        resourceBody: { id, pk: `customer-${i % 13}` },
      })),
    );
    assert.ok(results.every((r) => r.statusCode < 300));
    assert.equal((await partitionKeyRanges(container)).length, 4);
    assert.equal(await countItems(container), 700);
    const { resource } = await container.item("second-42", "customer-42").read<Item>();
    assert.equal(resource?.id, "second-42");
  });
});
