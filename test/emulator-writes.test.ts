import {
  BulkOperationType,
  ChangeFeedStartFrom,
  type Container,
  type Database,
  type ErrorResponse,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Item writes as whole transactions: a refused write leaves no trace, not even a log sequence number.
 */
interface Person {
  id: string;
  pk: string;
  email?: string;
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
});
