import { BulkOperationType, type Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";

/**
 * What makes cosmos-emulator a stand-in for the real service under load: RU budgets enforced with 429s the
 * SDK retries, durability across restarts, serverless accounts, and the fault and region controls.
 */
describe("cosmos-emulator operations", function () {
  before(function () {
    if (usingExternalEndpoint) this.skip(); // fault controls and restarts exist only on the local emulator
  });

  describe("a 400 RU/s container under a burst", function () {
    let cosmos: TestEndpoint;
    let container: Container;

    before(async function () {
      cosmos = await openEndpoint();
      const { database } = await cosmos.client.databases.create({ id: uniqueName("burst") });
      ({ container } = await database.containers.create({
        id: "c",
        partitionKey: { paths: ["/pk"] },
        throughput: 400,
      }));
    });
    after(async () => cosmos?.stop());

    it("answers 429 with retry-after, and the SDK's own retries complete the burst with nothing lost", async function () {
      // 4 KB items cost 20 RU each: the burst asks for ten seconds of the budget, so it is throttled however
      // slowly a busy machine sends it, and its retries still fit in the SDK's 30 s of waiting.
      const padding = "x".repeat(4000);
      const writes = Array.from({ length: 200 }, (_, i) =>
        container.items.create({ id: `b${i}`, pk: `p${i % 10}`, padding }),
      );
      const responses = await Promise.all(writes);
      assert.ok(responses.every((r) => r.statusCode === 201));
      const retried = responses.filter(
        (r) => r.diagnostics.clientSideRequestStatistics.retryDiagnostics.failedAttempts.length > 0,
      );
      assert.ok(retried.length > 0, "some creates were throttled and retried");
      const statistics = await cosmos.admin!.statistics();
      const link = `dbs/${container.database.id}/colls/c`;
      assert.ok(statistics[link].throttled > 0, "the emulator answered 429s");
      const { resources } = await container.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll();
      assert.deepEqual(resources, [200]);
    });

    it("sends x-ms-retry-after-ms and substatus 3200 with a 429", async function () {
      await cosmos.admin!.setFaults({ throttleRate: 1, throttleRetryAfterMs: 50, durationMs: 10_000 });
      const { CosmosClient } = await import("@azure/cosmos");
      const impatient = new CosmosClient({
        ...cosmos.clientOptions,
        connectionPolicy: {
          retryOptions: {
            maxRetryAttemptCount: 0,
            fixedRetryIntervalInMilliseconds: 0,
            maxWaitTimeInSeconds: 0,
          },
        },
      });
      try {
        await impatient.database(container.database.id).container("c").items.create({ id: "x", pk: "p" });
        assert.fail("expected 429");
      } catch (error) {
        const e = error as { code: number; substatus: number; headers: Record<string, string> };
        assert.equal(e.code, 429);
        assert.equal(e.substatus, 3200);
        assert.equal(e.headers["x-ms-retry-after-ms"], "50");
      } finally {
        impatient.dispose();
        await cosmos.admin!.clearFaults();
      }
    });
  });

  it("keeps acknowledged writes across a restart", async function () {
    const cosmos = await openEndpoint({ partitions: 2 });
    try {
      const { database } = await cosmos.client.databases.create({ id: "durable" });
      const { container } = await database.containers.create({
        id: "c",
        partitionKey: { paths: ["/pk"] },
        throughput: 10000,
      });
      await container.items.executeBulkOperations(
        Array.from({ length: 300 }, (_, i) => ({
          operationType: BulkOperationType.Create,
          partitionKey: `p${i % 17}`,
          resourceBody: { id: `d${i}`, pk: `p${i % 17}` },
        })),
      );
      await cosmos.restart!();
      const { resources } = await container.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll();
      assert.deepEqual(resources, [300]);
      const { resource } = await container.read();
      assert.equal(resource?.id, "c");
      const ranges = await container.getFeedRanges();
      assert.equal(ranges.length, 2);
      assert.equal((await container.item("d42", "p8").read()).resource?.id, "d42");
    } finally {
      await cosmos.stop();
    }
  });

  it("refuses provisioned throughput on a serverless account, and creates containers without it", async function () {
    const cosmos = await openEndpoint({ serverless: true });
    try {
      const rejected = await cosmos.client.databases.create({ id: "state", throughput: 800 }).catch((e) => e);
      assert.equal(rejected.code, 400);
      assert.match(rejected.message, /not supported for serverless accounts/);
      const { database } = await cosmos.client.databases.create({ id: "state" });
      const { container } = await database.containers.create({ id: "c", partitionKey: { paths: ["/pk"] } });
      assert.equal((await container.items.create({ id: "1", pk: "p" })).statusCode, 201);
    } finally {
      await cosmos.stop();
    }
  });

  it("injects 503s and connection resets that the SDK retries on reads, and moves the write region", async function () {
    const cosmos = await openEndpoint();
    try {
      const { database } = await cosmos.client.databases.create({ id: "faults" });
      const { container } = await database.containers.create({
        id: "c",
        partitionKey: { paths: ["/pk"] },
        throughput: 10000,
      });
      await container.items.create({ id: "1", pk: "p" });
      await cosmos.admin!.setFaults({ serviceUnavailableRate: 1, durationMs: 60_000 });
      const unavailable = await container.items.create({ id: "2", pk: "p" }).catch((e) => e);
      assert.equal(unavailable.code, 503);
      await cosmos.admin!.setFaults({ connectionResetRate: 1, durationMs: 60_000 });
      const reset = await container.items.create({ id: "3", pk: "p" }).catch((e) => e);
      assert.ok(reset instanceof Error);
      await cosmos.admin!.setFaults({ latencyMs: 300, durationMs: 60_000 });
      const started = performance.now();
      await container.item("1", "p").read();
      assert.ok(performance.now() - started >= 290, "latency was injected");
      await cosmos.admin!.clearFaults();

      const before = (await cosmos.client.getDatabaseAccount()).resource?.writableLocations[0].name;
      await cosmos.admin!.setWriteRegion("North Europe");
      const { CosmosClient } = await import("@azure/cosmos");
      const fresh = new CosmosClient(cosmos.clientOptions);
      const after = (await fresh.getDatabaseAccount()).resource?.writableLocations[0].name;
      fresh.dispose();
      assert.notEqual(before, "North Europe");
      assert.equal(after, "North Europe");
    } finally {
      await cosmos.stop();
    }
  });
});
