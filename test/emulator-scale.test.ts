import { ChangeFeedStartFrom, StatusCodes, type Container, type QueryMetrics } from "@azure/cosmos";
import assert from "node:assert/strict";
import { LatencyProbe } from "../bench/measure/endpoint-latency";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { seedContainer } from "./support/seed";

/**
 * A large container must not slow down everything else: while its change feed is drained, metadata calls
 * and point reads on another database stay fast, and counts and filtered reads on it do bounded work. The
 * bounds are loose so a loaded CI machine never trips them; bench/emulator-load.ts measures the real
 * latencies at a million items.
 */
const items = 50_000;
const partitionKeys = 100;
const generousMs = 1000;
/** Items an emulator query page examines at most, however few of them match. */
const pageScanBudget = 10_000;
/** An index count takes a few ms here; the full scan it replaced took over 300 ms at this size. */
const countMs = 250;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** Ids of every item in the container's change feed, read from the beginning in pages of 1000. */
async function drainFeed(container: Container): Promise<Set<string>> {
  const [range] = await container.getFeedRanges();
  const feed = container.items.getChangeFeedIterator<{ id: string }>({
    changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
    maxItemCount: 1000,
  });
  const seen = new Set<string>();
  for (let page = await feed.readNext(); page.statusCode !== StatusCodes.NotModified;) {
    for (const item of page.result) seen.add(item.id);
    page = await feed.readNext();
  }
  return seen;
}

describe(`a container of ${items.toLocaleString("en")} items beside a small database`, function () {
  let cosmos: TestEndpoint;
  let large: Container;
  let databaseIds: string[];

  before(async function () {
    // One physical partition, so partition-key and filtered reads must find a few items among all of them.
    cosmos = await openEndpoint({ partitions: 1 });
    const { database } = await cosmos.client.databases.create({ id: uniqueName("scale") });
    // 10,000 RU/s: the most one physical partition holds (the emulator splits past it, as the service does).
    // A container created with it would start with two (one per 6,000 RU/s), so it is raised after creation.
    ({ container: large } = await database.containers.create({
      id: "large",
      partitionKey: { paths: ["/pk"] },
      throughput: 6_000,
    }));
    const { resource: offer } = await large.readOffer();
    await cosmos.client
      .offer(offer!.id)
      .replace({ ...offer!, content: { ...offer!.content!, offerThroughput: 10_000 } });
    await seedContainer(large, { count: items, partitionKeys });
    const { database: small } = await cosmos.client.databases.create({ id: uniqueName("small") });
    const { container } = await small.containers.create({ id: "jobs", partitionKey: { paths: ["/pk"] } });
    await container.items.create({ id: "job-1", pk: "job-1" });
    databaseIds = [database.id, small.id];
  });

  after(async function () {
    for (const id of databaseIds ?? [])
      await cosmos.client
        .database(id)
        .delete()
        .catch(() => undefined);
    await cosmos?.stop();
  });

  it("counts the container and one partition key quickly", async function () {
    const total = await timed(() => large.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll());
    assert.deepEqual(total.value.resources, [items]);
    assert.ok(total.ms < countMs, `COUNT(1) took ${Math.round(total.ms)} ms`);
    const { resources: one } = await large.items
      .query<{ n: number }>("SELECT COUNT(1) AS n FROM c", { partitionKey: "customer-7" })
      .fetchAll();
    assert.deepEqual(one, [{ n: items / partitionKeys }]);
  });

  it("keeps metadata calls and point reads on the small database fast while the feed drains", async function () {
    const probe = new LatencyProbe(
      cosmos.client,
      { database: databaseIds[1], container: "jobs", itemId: "job-1", partitionKey: "job-1" },
      50,
    );
    probe.start();
    const drain = drainFeed(large);
    await Promise.allSettled([drain]);
    const report = await probe.stop();
    const seen = await drain;
    assert.equal(seen.size, items);
    assert.equal(report.failures, 0);
    assert.ok(report.metadata.count > 0 && report.pointRead.count > 0, "the probe ran during the drain");
    assert.ok(report.metadata.p99Ms < generousMs, `metadata ${JSON.stringify(report.metadata)}`);
    assert.ok(report.pointRead.p99Ms < generousMs, `point reads ${JSON.stringify(report.pointRead)}`);
  });

  it("reads one partition key's change feed with no page taking long", async function () {
    const feed = large.items.getChangeFeedIterator<{ id: string; pk: string }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning("customer-7"),
      maxItemCount: 100,
    });
    const ids = new Set<string>();
    for (;;) {
      const { value: page, ms } = await timed(() => feed.readNext());
      assert.ok(ms < generousMs, `a page took ${Math.round(ms)} ms`);
      if (page.statusCode === StatusCodes.NotModified) break;
      for (const item of page.result) {
        assert.equal(item.pk, "customer-7");
        ids.add(item.id);
      }
    }
    assert.equal(ids.size, items / partitionKeys);
  });

  it("answers a selective filter over the whole container page by page, each page reading a bounded share", async function () {
    const query = large.items.query<{ id: string }>(
      {
        query: "SELECT c.id FROM c WHERE c.index = @index",
        parameters: [{ name: "@index", value: items - 1 }],
      },
      { populateQueryMetrics: true },
    );
    const found: string[] = [];
    let pages = 0;
    while (query.hasMoreResults()) {
      const page = await query.fetchNext();
      pages += 1;
      // The work a page does is counted, not timed, so a loaded machine cannot trip it: the emulator ends
      // a page after examining 10,000 items however few matched (the service bounds a page by time).
      if (!usingExternalEndpoint) {
        const perRange = Object.values((page.queryMetrics ?? {}) as unknown as Record<string, QueryMetrics>);
        const retrieved = perRange.reduce((sum, metrics) => sum + metrics.retrievedDocumentCount, 0);
        assert.ok(retrieved <= pageScanBudget, `page ${pages} read ${retrieved} items`);
      }
      found.push(...page.resources.map((r) => r.id));
    }
    assert.deepEqual(found, [`item-${items - 1}`]);
    if (!usingExternalEndpoint) assert.ok(pages >= items / pageScanBudget, `${pages} pages`);
  });
});
