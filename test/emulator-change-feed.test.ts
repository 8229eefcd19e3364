import { BulkOperationType, ChangeFeedStartFrom, type Container, type FeedRange } from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/** The change feed as the copy engine reads it: per feed range, from the beginning, with continuations. */
interface Item {
  id: string;
  pk: string;
  version: number;
  _lsn?: number;
}

async function drain(
  container: Container,
  start: ChangeFeedStartFrom,
): Promise<{ items: Item[]; continuation: string }> {
  const iterator = container.items.getChangeFeedIterator<Item>({
    changeFeedStartFrom: start,
    maxItemCount: 500,
  });
  const items: Item[] = [];
  for (;;) {
    const page = await iterator.readNext();
    if (page.statusCode === 304) return { items, continuation: page.continuationToken };
    items.push(...page.result);
  }
}

async function drainRanges(container: Container, starts: ChangeFeedStartFrom[]) {
  const results = await Promise.all(starts.map((start) => drain(container, start)));
  return { items: results.flatMap((r) => r.items), continuations: results.map((r) => r.continuation) };
}

async function upsertAll(container: Container, items: Item[]): Promise<void> {
  const results = await container.items.executeBulkOperations(
    items.map((item) => ({
      operationType: BulkOperationType.Upsert,
      partitionKey: item.pk,
      resourceBody: { ...item },
    })),
  );
  assert.ok(
    results.every((r) => r.response && r.response.statusCode < 300),
    "every upsert succeeded",
  );
}

describe("change feed (4 physical partitions, 10,000 items across 1,000 partition keys)", function () {
  let cosmos: TestEndpoint;
  let container: Container;
  let ranges: readonly FeedRange[];

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    const { database } = await cosmos.client.databases.create({ id: uniqueName("changefeed") });
    ({ container } = await database.containers.create({
      id: "items",
      partitionKey: { paths: ["/pk"] },
      // The most a container starting with 4 physical partitions may have (6,000 RU/s each at creation).
      throughput: 24000,
    }));
    await upsertAll(
      container,
      Array.from({ length: 10000 }, (_, i) => ({ id: `item-${i}`, pk: `key-${i % 1000}`, version: 1 })),
    );
    ranges = await container.getFeedRanges();
  });

  after(async function () {
    await cosmos?.client
      .database(container.database.id)
      .delete()
      .catch(() => undefined);
    await cosmos?.stop();
  });

  it("returns every item exactly once across the feed ranges, then nothing, then exactly the new writes", async function () {
    if (!process.env.COSMOS_ENDPOINT) assert.equal(ranges.length, 4);
    const first = await drainRanges(
      container,
      ranges.map((range) => ChangeFeedStartFrom.Beginning(range)),
    );
    assert.equal(first.items.length, 10000);
    assert.equal(new Set(first.items.map((i) => i.id)).size, 10000, "no item appears twice");
    assert.ok(first.items.every((i) => typeof i._lsn === "number"));

    const idle = await drainRanges(
      container,
      first.continuations.map((c) => ChangeFeedStartFrom.Continuation(c)),
    );
    assert.equal(idle.items.length, 0, "a continuation at the end of the feed returns nothing");

    const fresh = Array.from({ length: 123 }, (_, i) => ({ id: `new-${i}`, pk: `key-${i * 7}`, version: 1 }));
    await upsertAll(container, fresh);
    const next = await drainRanges(
      container,
      idle.continuations.map((c) => ChangeFeedStartFrom.Continuation(c)),
    );
    assert.deepEqual(next.items.map((i) => i.id).sort(), fresh.map((i) => i.id).sort());

    await upsertAll(container, [{ id: "item-5", pk: "key-5", version: 2 }]);
    await upsertAll(container, [{ id: "item-5", pk: "key-5", version: 3 }]);
    const updated = await drainRanges(
      container,
      next.continuations.map((c) => ChangeFeedStartFrom.Continuation(c)),
    );
    assert.equal(updated.items.length, 1, "an item updated twice appears once");
    assert.equal(updated.items[0].version, 3, "with its latest version");
  });

  it("starts from now, and from a partition key", async function () {
    const now = await drainRanges(
      container,
      ranges.map((range) => ChangeFeedStartFrom.Now(range)),
    );
    assert.equal(now.items.length, 0);
    await upsertAll(container, [{ id: "after-now", pk: "key-9", version: 1 }]);
    const after = await drainRanges(
      container,
      now.continuations.map((c) => ChangeFeedStartFrom.Continuation(c)),
    );
    assert.deepEqual(
      after.items.map((i) => i.id),
      ["after-now"],
    );

    const byKey = await drain(container, ChangeFeedStartFrom.Beginning("key-9"));
    const expected = new Set(["after-now", ...Array.from({ length: 10 }, (_, i) => `item-${9 + 1000 * i}`)]);
    assert.deepEqual(new Set(byKey.items.map((i) => i.id)), expected);
  });

  it("starts from a point in time", async function () {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await upsertAll(container, [{ id: "late", pk: "key-1", version: 1 }]);
    const late = await drainRanges(
      container,
      ranges.map((range) => ChangeFeedStartFrom.Time(since, range)),
    );
    assert.deepEqual(
      late.items.map((i) => i.id),
      ["late"],
    );
  });
});
