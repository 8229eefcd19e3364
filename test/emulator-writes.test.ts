import {
  BulkOperationType,
  ChangeFeedMode,
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  ChangeFeedStartFrom,
  type Container,
  type Database,
  type ErrorResponse,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Item writes as whole transactions (a refused write leaves no trace, not even a log sequence number) and
 * `container.deleteAllItemsForPartitionKey`, through the official SDK.
 */
interface Person {
  id: string;
  pk: string;
  email?: string;
  padding?: string;
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as ErrorResponse).code as number;
  }
  assert.fail("expected the request to be refused");
}

/** Every change of one logical partition from the beginning, in LSN order. */
async function latestVersions(container: Container, partitionKey: string) {
  const feed = container.items.getChangeFeedIterator<Person & { _lsn: number }>({
    changeFeedStartFrom: ChangeFeedStartFrom.Beginning(partitionKey),
  });
  const changes: (Person & { _lsn: number })[] = [];
  for (;;) {
    const page = await feed.readNext();
    if (page.statusCode === 304) return changes;
    changes.push(...page.result);
  }
}

describe("cosmos-emulator item writes", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("writes") }));
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  async function newContainer(extra: object = {}): Promise<Container> {
    const { container } = await database.containers.create({
      id: uniqueName("c"),
      partitionKey: { paths: ["/pk"], version: 2 },
      ...extra,
    });
    return container;
  }

  it("gives a refused write no LSN: the next write's LSN follows the last accepted one", async function () {
    const container = await newContainer({ uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/email"] }] } });
    await container.items.create({ id: "a", pk: "p", email: "x" });

    const refused = [
      await status(container.items.create({ id: "b", pk: "p", email: "x" })),
      await status(container.items.create({ id: "a", pk: "p", email: "y" })),
      await status(
        container.item("a", "p").replace(
          { id: "a", pk: "p", email: "z" },
          {
            accessCondition: { type: "IfMatch", condition: '"stale"' },
          },
        ),
      ),
      await status(container.items.create({ id: "big", pk: "p", padding: "x".repeat(2 * 1024 * 1024) })),
    ];
    assert.deepEqual(refused, [409, 409, 412, 413]);
    const batch = await container.items.batch(
      [
        { operationType: BulkOperationType.Create, resourceBody: { id: "c", pk: "p", email: "c" } },
        { operationType: BulkOperationType.Create, resourceBody: { id: "d", pk: "p", email: "x" } },
      ],
      "p",
    );
    assert.deepEqual(
      batch.result?.map((r) => r.statusCode),
      [424, 409],
    );
    await container.items.create({ id: "e", pk: "p", email: "e" });

    const changes = await latestVersions(container, "p");
    assert.deepEqual(
      changes.map((c) => c.id),
      ["a", "e"],
    );
    assert.equal(changes[1]._lsn, changes[0]._lsn + 1);
  });

  it("deletes every item of one logical partition and no other", async function () {
    const container = await newContainer();
    for (let i = 0; i < 30; i++) await container.items.create({ id: `i${i}`, pk: i % 3 === 0 ? "rk" : "pk" });

    await container.deleteAllItemsForPartitionKey("pk");

    const { resources: left } = await container.items.query<Person>("SELECT c.id, c.pk FROM c").fetchAll();
    assert.equal(left.length, 10);
    assert.ok(left.every((item) => item.pk === "rk"));
    assert.equal((await container.item("i1", "pk").read()).statusCode, 404);
    assert.equal((await container.item("i0", "rk").read()).resource?.id, "i0");
  });

  it("refuses a partition key that does not fit the container, naming it", async function () {
    const container = await newContainer();
    const error = await container.deleteAllItemsForPartitionKey(["a", "b"]).then(
      () => assert.fail("expected the request to be refused"),
      (e: unknown) => e as ErrorResponse,
    );
    assert.equal(error.code, 400);
    assert.match(error.message, /\["a","b"\]/);
  });

  it("logs each item a partition key delete removes in the all-versions-and-deletes feed", async function () {
    const container = await newContainer({
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(10)),
    });
    for (const id of ["a", "b"]) await container.items.create({ id, pk: "gone" });
    await container.items.create({ id: "c", pk: "stays" });
    const feed = container.items.getChangeFeedIterator<{ metadata: { operationType: string; id?: string } }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now("gone"),
      changeFeedMode: ChangeFeedMode.AllVersionsAndDeletes,
    });
    assert.equal((await feed.readNext()).statusCode, 304);

    await container.deleteAllItemsForPartitionKey("gone");

    const page = await feed.readNext();
    assert.deepEqual(
      page.result.map((change) => [change.metadata.operationType, change.metadata.id]).sort(),
      [
        ["delete", "a"],
        ["delete", "b"],
      ],
    );
  });
});
