import {
  ChangeFeedMode,
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  ChangeFeedStartFrom,
  CosmosClient,
  PartitionKeyKind,
  type Database,
  type ErrorResponse,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { expectFailure } from "./support/expect-failure";

/**
 * Rules of the service that the official SDK's own tests rely on: how many physical partitions a new
 * container starts with, the 413 a batch or bulk request over 2 MB gets as a whole, a bulk request with
 * continueOnError false stopping at its first failure, point operations refusing a prefix of a hierarchical
 * key, the all-versions feed's wording when asked to start from the beginning, and the account naming the
 * endpoint the client used.
 */
describe("service rules the official SDK tests rely on (cosmos-emulator)", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async () => {
    cosmos = await openEndpoint({ http: true });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("rules") }));
  });

  after(async () => {
    await database?.delete();
    await cosmos?.stop();
  });

  it("starts a container with one physical partition per 6,000 RU/s, as the service does", async () => {
    for (const [throughput, partitions] of [
      [400, 1],
      [6000, 1],
      [21000, 4],
      [30000, 5],
    ]) {
      const { container } = await database.containers.create({
        id: uniqueName(`ru-${throughput}`),
        partitionKey: { paths: ["/pk"] },
        throughput,
      });
      assert.equal((await container.getFeedRanges()).length, partitions, `${throughput} RU/s`);
    }
  });

  it("refuses a bulk request over 2 MB as a whole with the service's 413 message", async () => {
    const { container } = await database.containers.create({
      id: uniqueName("large"),
      partitionKey: { paths: ["/pk"] },
    });
    const padding = "x".repeat(2.5 * 1024 * 1024);
    const [result] = await container.items.executeBulkOperations([
      { operationType: "Create", partitionKey: "p", resourceBody: { id: "big", pk: "p", padding } },
    ]);
    assert.equal(result.error?.code, 413);
    assert.ok(
      result.error?.message.includes(`Message: {"Errors":["Request size is too large"]}\r\n`),
      `the service's wording: ${result.error?.message}`,
    );
    assert.match(result.error?.message ?? "", /over the limit of 2097152 bytes/);
  });

  it("stops a bulk request at its first failure when continueOnError is false: the rest answer 424", async () => {
    const { container } = await database.containers.create({
      id: uniqueName("stop-on-error"),
      partitionKey: { paths: ["/pk"] },
    });
    const operations = [
      { operationType: "Create", resourceBody: { id: "bad", pk: "p", ttl: -10 } },
      { operationType: "Create", resourceBody: { id: "skipped", pk: "p" } },
    ] as const;
    const stopped = await container.items.bulk([...operations], { continueOnError: false });
    assert.deepEqual(
      stopped.map((result) => result.statusCode),
      [400, 424],
    );
    assert.equal((await container.item("skipped", "p").read()).statusCode, 404, "the 424 did not run");
    const continued = await container.items.bulk([...operations]);
    assert.deepEqual(
      continued.map((result) => result.statusCode),
      [400, 201],
    );
  });

  it("refuses a point read by a prefix of a hierarchical key with 400, and reads by the full key", async () => {
    const { container } = await database.containers.create({
      id: uniqueName("hierarchical"),
      partitionKey: { paths: ["/a", "/b"], kind: PartitionKeyKind.MultiHash, version: 2 },
    });
    await container.items.create({ id: "one", a: "x", b: "y" });
    const error = (await expectFailure(container.item("one", ["x"]).read())) as ErrorResponse;
    assert.equal(error.code, 400);
    assert.match(
      error.message,
      /\["x"\] has 1 component\(s\), the container's key paths \["\/a","\/b"\] need 2/,
    );
    const { resource } = await container.item("one", ["x", "y"]).read<{ id: string }>();
    assert.equal(resource?.id, "one");
  });

  it("refuses to start the all-versions feed from the beginning, naming the retention period", async () => {
    const { container } = await database.containers.create({
      id: uniqueName("all-versions"),
      partitionKey: { paths: ["/pk"] },
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(10)),
    });
    const feed = container.items.getChangeFeedIterator({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
      changeFeedMode: ChangeFeedMode.AllVersionsAndDeletes,
    });
    const error = (await expectFailure(feed.readNext())) as ErrorResponse;
    assert.equal(error.code, 400);
    assert.ok(
      error.message.includes("You must read the change feed from within the retention period."),
      error.message,
    );
  });

  it("names the endpoint the client used as the account's location, so a client contacts one endpoint", async () => {
    const port = new URL(cosmos.endpoint).port;
    const client = new CosmosClient({ ...cosmos.clientOptions, endpoint: `http://localhost:${port}` });
    try {
      const { diagnostics } = await client.databases.readAll().fetchAll();
      assert.deepEqual(diagnostics.clientSideRequestStatistics.locationEndpointsContacted, [
        `http://localhost:${port}`,
      ]);
    } finally {
      client.dispose();
    }
  });
});
