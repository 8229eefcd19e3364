import { ChangeFeedStartFrom, type Container, type FeedOptions, type QueryMetrics } from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Cross-partition queries run by the SDK's own query pipeline (`forceQueryPlan`, `enableQueryControl`): the
 * SDK asks the endpoint for a query plan, sends the plan's rewritten query to each of the container's four
 * physical partitions and merges the pages. Every expected answer is computed here from the items written.
 */
interface Item {
  id: string;
  pk: string;
  n: number;
  group: string;
  /** Repeats every 7 items, so ORDER BY c.amount has ties that span partitions. */
  amount: number;
  name: string;
}

const items: Item[] = Array.from({ length: 60 }, (_, n) => ({
  id: `item-${String(n).padStart(2, "0")}`,
  pk: `pk-${n % 13}`,
  n,
  group: `g${n % 5}`,
  amount: (n * 3) % 7,
  name: `Name ${59 - n}`,
}));

const pipeline: FeedOptions = { forceQueryPlan: true };
const queryControl: FeedOptions = { forceQueryPlan: true, enableQueryControl: true };

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const compareBy =
  <T>(...keys: ((item: T) => number | string)[]) =>
  (a: T, b: T) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

describe("cross-partition queries through the SDK's query pipeline (4 physical partitions)", function () {
  let cosmos: TestEndpoint;
  let container: Container;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    const { database } = await cosmos.client.databases.createIfNotExists({ id: uniqueName("query-plan") });
    ({ container } = await database.containers.createIfNotExists({
      id: "items",
      partitionKey: { paths: ["/pk"] },
      // The service serves an ORDER BY on several keys only from a matching composite index.
      indexingPolicy: {
        compositeIndexes: [
          [
            { path: "/group", order: "ascending" },
            { path: "/amount", order: "descending" },
          ],
        ],
      },
    }));
    const ranges = await container.readPartitionKeyRanges().fetchAll();
    assert.equal(ranges.resources.length, 4, "the container should span 4 physical partitions");
    for (const item of items) await container.items.create(item);
  });

  after(async function () {
    await cosmos?.stop();
  });

  async function query<T>(text: string, options: FeedOptions = pipeline): Promise<T[]> {
    const { resources } = await container.items.query<T>(text, options).fetchAll();
    return resources;
  }

  /** Pages through `text` with a new iterator per page, resuming each from the last page's continuation. */
  async function resumePageByPage<T>(text: string, maxItemCount: number): Promise<T[]> {
    const rows: T[] = [];
    let continuationToken: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 200, `${text} kept returning continuations`);
      const response = await container.items
        .query<T>(text, { ...queryControl, maxItemCount, continuationToken })
        .fetchNext();
      assert.ok(response.resources.length <= maxItemCount, `a page of ${text} exceeded maxItemCount`);
      rows.push(...response.resources);
      continuationToken = response.continuationToken;
      if (!continuationToken) return rows;
    }
  }

  describe("aggregates", function () {
    it("SELECT VALUE COUNT/SUM/AVG/MIN/MAX give one merged value", async function () {
      const amounts = items.map((i) => i.amount);
      assert.deepEqual(await query("SELECT VALUE COUNT(1) FROM c"), [items.length]);
      assert.deepEqual(await query("SELECT VALUE SUM(c.amount) FROM c"), [sum(amounts)]);
      assert.deepEqual(await query("SELECT VALUE AVG(c.n) FROM c"), [
        sum(items.map((i) => i.n)) / items.length,
      ]);
      assert.deepEqual(await query("SELECT VALUE MIN(c.name) FROM c"), [items.map((i) => i.name).sort()[0]]);
      assert.deepEqual(await query("SELECT VALUE MAX(c.amount) FROM c"), [Math.max(...amounts)]);
    });

    it("aggregates honour the filter, and an aggregate over no items is the service's empty answer", async function () {
      const big = items.filter((i) => i.n >= 40);
      assert.deepEqual(await query("SELECT VALUE COUNT(1) FROM c WHERE c.n >= 40"), [big.length]);
      assert.deepEqual(await query("SELECT VALUE SUM(c.n) FROM c WHERE c.n >= 40"), [
        sum(big.map((i) => i.n)),
      ]);
      assert.deepEqual(await query("SELECT VALUE COUNT(1) FROM c WHERE c.n > 1000"), [0]);
      assert.deepEqual(await query("SELECT VALUE AVG(c.n) FROM c WHERE c.n > 1000"), []);
      assert.deepEqual(await query("SELECT VALUE MAX(c.n) FROM c WHERE c.n > 1000"), []);
    });

    it("aliased aggregates in a select list merge into one row", async function () {
      const rows = await query(
        "SELECT COUNT(1) AS n, SUM(c.amount) AS total, MIN(c.n) AS low, MAX(c.n) AS high, AVG(c.amount) AS mean FROM c WHERE c.group = 'g1'",
      );
      const g1 = items.filter((i) => i.group === "g1");
      assert.deepEqual(rows, [
        {
          n: g1.length,
          total: sum(g1.map((i) => i.amount)),
          low: Math.min(...g1.map((i) => i.n)),
          high: Math.max(...g1.map((i) => i.n)),
          mean: sum(g1.map((i) => i.amount)) / g1.length,
        },
      ]);
    });

    it("GROUP BY merges each group's partial aggregates across partitions", async function () {
      const rows = await query<{ group: string; n: number; total: number }>(
        "SELECT c.group, COUNT(1) AS n, SUM(c.amount) AS total FROM c GROUP BY c.group",
      );
      const groups = [...new Set(items.map((i) => i.group))].sort();
      assert.deepEqual(
        rows.sort(compareBy((r) => r.group)),
        groups.map((group) => {
          const members = items.filter((i) => i.group === group);
          return { group, n: members.length, total: sum(members.map((i) => i.amount)) };
        }),
      );
    });

    it("GROUP BY without a query plan option is still merged by the SDK: an aggregate of nothing stays as undefined", async function () {
      // The first, optimistic request is refused with the plan, so the SDK's GROUP BY merge names every alias.
      const rows = await query<Record<string, unknown>>(
        "SELECT c.group, AVG(c.missing) AS mean, MIN(c.missing) AS low, COUNT(c.missing) AS n FROM c GROUP BY c.group",
        {},
      );
      const groups = [...new Set(items.map((i) => i.group))].sort();
      assert.deepEqual(
        rows.sort(compareBy((r) => String(r.group))),
        groups.map((group) => ({ group, mean: undefined, low: undefined, n: 0 })),
      );
      assert.deepEqual(await query("SELECT AVG(c.missing) AS mean FROM c", {}), [{ mean: undefined }]);
    });

    it("an ORDER BY on an aggregate without GROUP BY still gives the one merged value", async function () {
      for (const options of [{}, pipeline, queryControl]) {
        assert.deepEqual(
          await query("SELECT VALUE COUNT(c.n) FROM c ORDER BY c.n", options),
          [items.length],
          JSON.stringify(options),
        );
        assert.deepEqual(
          await query("SELECT VALUE MAX(c.n) FROM c ORDER BY c.n, c.amount", options),
          [Math.max(...items.map((i) => i.n))],
          JSON.stringify(options),
        );
      }
    });

    it("MAKESET unites the partitions' sets", async function () {
      const [set] = await query<string[]>("SELECT VALUE MAKESET(c.group) FROM c");
      assert.deepEqual(set.sort(), [...new Set(items.map((i) => i.group))].sort());
    });

    it("a query with a partition key still runs whole in that partition", async function () {
      const inPk = items.filter((i) => i.pk === "pk-3");
      const rows = await query("SELECT VALUE COUNT(1) FROM c", { partitionKey: "pk-3" });
      assert.deepEqual(rows, [inPk.length]);
      const ordered = await query<{ id: string }>("SELECT c.id FROM c ORDER BY c.n DESC", {
        partitionKey: "pk-3",
      });
      assert.deepEqual(
        ordered.map((r) => r.id),
        inPk.sort(compareBy((i) => -i.n)).map((i) => i.id),
      );
    });
  });

  describe("ORDER BY", function () {
    it("merges the partitions' sorted pages, ascending and descending", async function () {
      const ascending = await query<Item>("SELECT * FROM c ORDER BY c.n");
      assert.deepEqual(
        ascending.map((i) => i.id),
        [...items].sort(compareBy((i) => i.n)).map((i) => i.id),
      );
      const descending = await query<string>("SELECT VALUE c.name FROM c ORDER BY c.name DESC");
      assert.deepEqual(
        descending,
        items
          .map((i) => i.name)
          .sort()
          .reverse(),
      );
    });

    it("orders by several keys and projects the select list", async function () {
      const rows = await query<{ id: string; group: string; amount: number }>(
        "SELECT c.id, c.group, c.amount FROM c ORDER BY c.group ASC, c.amount DESC",
      );
      const expected = [...items].sort(
        compareBy(
          (i) => i.group,
          (i) => -i.amount,
        ),
      );
      assert.deepEqual(
        rows.map((r) => [r.group, r.amount]),
        expected.map((i) => [i.group, i.amount]),
      );
      assert.deepEqual(Object.keys(rows[0]).sort(), ["amount", "group", "id"]);
      assert.deepEqual(rows.map((r) => r.id).sort(), items.map((i) => i.id).sort());
    });

    it("applies TOP and OFFSET LIMIT to the merged order", async function () {
      const byN = [...items].sort(compareBy((i) => i.n)).map((i) => i.id);
      assert.deepEqual(await query("SELECT TOP 7 VALUE c.id FROM c ORDER BY c.n"), byN.slice(0, 7));
      assert.deepEqual(
        await query("SELECT VALUE c.id FROM c ORDER BY c.n OFFSET 5 LIMIT 10"),
        byN.slice(5, 15),
      );
      const { resources } = await container.items
        .query<string>(
          {
            query: "SELECT VALUE c.id FROM c ORDER BY c.n OFFSET @skip LIMIT @take",
            parameters: [
              { name: "@skip", value: 3 },
              { name: "@take", value: 4 },
            ],
          },
          pipeline,
        )
        .fetchAll();
      assert.deepEqual(resources, byN.slice(3, 7));
    });
  });

  describe("composite indexes", function () {
    it("ORDER BY on several keys runs only from a composite index with the same or all-inverted directions", async function () {
      const served = ["c.group ASC, c.amount DESC", "c.group DESC, c.amount ASC"];
      for (const keys of served) {
        const rows = await query(`SELECT c.id FROM c ORDER BY ${keys}`, {});
        assert.equal(rows.length, items.length, keys);
      }
      for (const keys of ["c.group ASC, c.amount ASC", "c.amount DESC, c.group ASC", "c.group, c.n"]) {
        for (const options of [{}, pipeline, { partitionKey: "pk-1" }]) {
          await assert.rejects(
            query(`SELECT c.id FROM c ORDER BY ${keys}`, options),
            (error: { code?: number; message?: string }) =>
              error.code === 400 && /does not have a corresponding composite index/.test(error.message ?? ""),
            `${keys} with ${JSON.stringify(options)}`,
          );
        }
      }
    });
  });

  describe("DISTINCT, TOP and OFFSET LIMIT without ORDER BY", function () {
    it("DISTINCT removes duplicates across partitions, also under TOP", async function () {
      const groups = [...new Set(items.map((i) => i.group))].sort();
      const distinct = await query<string>("SELECT DISTINCT VALUE c.group FROM c");
      assert.deepEqual([...distinct].sort(), groups);
      const top = await query<string>("SELECT DISTINCT TOP 3 VALUE c.group FROM c");
      assert.equal(top.length, 3);
      assert.equal(new Set(top).size, 3);
      const objects = await query<{ group: string }>("SELECT DISTINCT c.group FROM c");
      assert.deepEqual(objects.map((o) => o.group).sort(), groups);
      const ordered = await query<string>("SELECT DISTINCT VALUE c.group FROM c ORDER BY c.group DESC");
      assert.deepEqual(ordered, [...groups].reverse());
    });

    it("TOP and OFFSET LIMIT count rows over all partitions", async function () {
      const top = await query<{ id: string }>("SELECT TOP 10 c.id FROM c");
      assert.equal(top.length, 10);
      assert.equal(new Set(top.map((r) => r.id)).size, 10);
      const window = await query<string>("SELECT VALUE c.id FROM c OFFSET 50 LIMIT 20");
      assert.equal(window.length, items.length - 50);
      const all = await query<string>("SELECT VALUE c.id FROM c OFFSET 0 LIMIT 1000");
      assert.deepEqual([...all].sort(), items.map((i) => i.id).sort());
    });
  });

  describe("continuation tokens", function () {
    it("a filtered query resumed page by page returns every match once", async function () {
      const rows = await resumePageByPage<Item>("SELECT * FROM c WHERE c.n % 2 = 0", 4);
      assert.deepEqual(
        rows.map((r) => r.id).sort(),
        items.filter((i) => i.n % 2 === 0).map((i) => i.id),
      );
    });

    it("ORDER BY with ties resumed page by page returns every row once, in order", async function () {
      for (const [text, direction] of [
        ["SELECT c.id, c.amount FROM c ORDER BY c.amount ASC", 1],
        ["SELECT c.id, c.amount FROM c ORDER BY c.amount DESC", -1],
      ] as const) {
        const rows = await resumePageByPage<{ id: string; amount: number }>(text, 3);
        assert.deepEqual(
          rows.map((r) => r.amount),
          items.map((i) => i.amount).sort((a, b) => direction * (a - b)),
          text,
        );
        assert.deepEqual(rows.map((r) => r.id).sort(), items.map((i) => i.id).sort(), text);
      }
    });

    it("DISTINCT ORDER BY resumed page by page gives each value once, in order", async function () {
      // Each partition key value lives in one partition, several items to a value: the partitions' own
      // duplicates must not come back on resuming. (The SDK's merge of a value found in several partitions
      // is its own affair.)
      const rows = await resumePageByPage<{ pk: string }>("SELECT DISTINCT c.pk FROM c ORDER BY c.pk ASC", 2);
      assert.deepEqual(
        rows.map((r) => r.pk),
        [...new Set(items.map((i) => i.pk))].sort(),
      );
    });

    it("ORDER BY pages read about one item per row, not every item of the partition per page", async function () {
      const iterator = container.items.query<{ id: string }>("SELECT c.id FROM c ORDER BY c.amount", {
        ...queryControl,
        maxItemCount: 4,
        populateQueryMetrics: true,
      });
      const ids: string[] = [];
      let retrieved = 0;
      while (iterator.hasMoreResults()) {
        const response = await iterator.fetchNext();
        ids.push(...response.resources.map((r) => r.id));
        const perRange = Object.values(
          (response.queryMetrics ?? {}) as unknown as Record<string, QueryMetrics>,
        );
        retrieved += sum(perRange.map((m) => m.retrievedDocumentCount));
      }
      assert.deepEqual([...ids].sort(), items.map((i) => i.id).sort());
      // Each partition's page reads its rows and one row past them, to tell whether another page follows.
      assert.ok(
        retrieved > 0 && retrieved < 2 * items.length,
        `read ${retrieved} items for ${items.length} rows`,
      );
    });

    it("ORDER BY over strings resumed page by page keeps the merged order", async function () {
      const rows = await resumePageByPage<string>(
        "SELECT VALUE c.name FROM c WHERE c.n < 30 ORDER BY c.name",
        5,
      );
      assert.deepEqual(
        rows,
        items
          .filter((i) => i.n < 30)
          .map((i) => i.name)
          .sort(),
      );
    });
  });

  describe("page ends and continuations", function () {
    it("a query across partitions without a query plan pages one physical partition at a time", async function () {
      // What each physical partition holds, read from its own change feed.
      const partitions: string[][] = [];
      for (const feedRange of await container.getFeedRanges()) {
        const feed = container.items.getChangeFeedIterator<Item>({
          changeFeedStartFrom: ChangeFeedStartFrom.Beginning(feedRange),
        });
        const ids: string[] = [];
        for (
          let response = await feed.readNext();
          response.statusCode === 200;
          response = await feed.readNext()
        )
          ids.push(...response.result.map((item) => item.id));
        partitions.push(ids.sort());
      }
      // Every partition holds fewer items than a page takes, so each page is one whole partition, and the
      // last partition's page ends the query: no empty page follows it.
      const pages: string[][] = [];
      const iterator = container.items.query<Item>("SELECT * FROM c", { maxItemCount: items.length });
      for await (const { resources } of iterator.getAsyncIterator()) {
        pages.push(resources.map((item) => item.id).sort());
      }
      assert.deepEqual(pages, partitions);
    });

    it("a full page carries a continuation even at the end of the items, and the next page is empty", async function () {
      const inPartition = items.filter((i) => i.pk === "pk-0");
      const options = { partitionKey: "pk-0", maxItemCount: inPartition.length };
      const first = await container.items.query("SELECT * FROM c", options).fetchNext();
      assert.equal(first.resources.length, inPartition.length);
      assert.ok(first.continuationToken, "a full page does not know that nothing follows");
      const next = await container.items
        .query("SELECT * FROM c", { ...options, continuationToken: first.continuationToken })
        .fetchNext();
      assert.deepEqual(next.resources, []);
      assert.equal(next.continuationToken, undefined);
    });

    it("a continuation the endpoint never gave is refused as an invalid continuation token", async function () {
      await assert.rejects(
        container.items.readAll({ maxItemCount: 2, continuationToken: "junk" }).fetchNext(),
        (error: { code?: number; message?: string }) =>
          error.code === 400 && /Invalid Continuation Token/.test(error.message ?? ""),
      );
    });
  });

  describe("query metrics", function () {
    it("answers populateQueryMetrics with the service's metrics header, per partition and whole", async function () {
      for (const options of [{ populateQueryMetrics: true }, { ...pipeline, populateQueryMetrics: true }]) {
        const response = await container.items.query("SELECT * FROM c WHERE c.n < 10", options).fetchAll();
        assert.ok(response.queryMetrics, `no query metrics with ${JSON.stringify(options)}`);
        // Typed as the header's text, the SDK hands out the parsed metrics per partition key range.
        const parsed = response.queryMetrics as unknown as Record<string, QueryMetrics>;
        const perPartition = Object.values(parsed);
        assert.ok(perPartition.length > 0);
        const retrieved = sum(perPartition.map((m) => m.retrievedDocumentCount));
        const output = sum(perPartition.map((m) => m.outputDocumentCount));
        assert.equal(retrieved, items.length, "every item is read once");
        assert.equal(output, 10);
      }
    });
  });
});
