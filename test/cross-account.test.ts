import type { Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CopyJobs, CopyWorker, stateDatabaseId, type AccountConnection, type JobSpec } from "../engine";
import { CosmosStateStore } from "../engine/state-store";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { assertSameItems } from "./support/same-items";
import { seedContainer } from "./support/seed";

/**
 * Cross-account copy through the engine's API: the source container in one account (A), the target and the
 * job in another (B), each a cosmos-emulator of its own with its own key and certificate. Workers are
 * in-process CopyWorkers connected to B; the ones given A's connection run the job, the others must not.
 */
const sourceItems = 3000;

function connectionOf(cosmos: TestEndpoint): AccountConnection {
  const agentCa = (cosmos.clientOptions.agent as { options?: { ca?: string } } | undefined)?.options?.ca;
  return { endpoint: cosmos.endpoint, key: cosmos.key, caCertificate: agentCa };
}

function worker(connection: AccountConnection, workerId: string, sourceAccount?: AccountConnection) {
  return new CopyWorker({
    connection,
    sourceAccount,
    workerId,
    idleTimeoutMs: 1500,
    pollIntervalMs: 100,
    heartbeatIntervalMs: 300,
  });
}

describe("cross-account copy (engine)", function () {
  const sourceKey = randomBytes(64).toString("base64");
  let accountA: TestEndpoint;
  let accountB: TestEndpoint;
  let source: AccountConnection;
  let jobs: CopyJobs;
  let orders: Container;

  before(async function () {
    // Two emulators are two accounts; an external endpoint is one.
    if (usingExternalEndpoint) this.skip();
    [accountA, accountB] = await Promise.all([
      openEndpoint({ partitions: 2, key: sourceKey }),
      openEndpoint({ partitions: 2 }),
    ]);
    source = connectionOf(accountA);
    jobs = CopyJobs.connect(connectionOf(accountB));
    const { database: shopA } = await accountA.client.databases.create({ id: "shop" });
    ({ container: orders } = await shopA.containers.create({
      id: "orders",
      partitionKey: { paths: ["/pk"] },
      throughput: 20000,
    }));
    await seedContainer(orders, { count: sourceItems, partitionKeys: 60, itemBytes: 300 });
    const { database: shopB } = await accountB.client.databases.create({ id: "shop" });
    // The same names as the source's: in another account it is another container.
    await shopB.containers.create({
      id: "orders",
      partitionKey: { paths: ["/category"] },
      throughput: 20000,
    });
    await shopB.containers.create({ id: "only-in-b", partitionKey: { paths: ["/pk"] } });
  });

  after(async function () {
    jobs?.dispose();
    await accountA?.stop();
    await accountB?.stop();
  });

  const spec = (name: string, container = "orders"): JobSpec => ({
    name,
    source: { database: "shop", container },
    destination: { database: "shop", container: "orders" },
    sourceAccount: source,
  });

  it("copies every item of a container in account A into account B, the job's state in B only", async function () {
    const created = await jobs.create(spec("a-to-b"), { startWorker: false });
    assert.deepEqual(created.sourceAccount, { endpoint: new URL(accountA.endpoint).toString() });
    // A worker of B without A's credentials runs alongside, and must leave the job to the one that has them.
    const [capable, incapable] = [
      worker(connectionOf(accountB), "reads-a", source),
      worker(connectionOf(accountB), "b-only"),
    ];
    await Promise.all([capable.run(), incapable.run()]);

    const job = await jobs.get("a-to-b");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, sourceItems);
    assert.deepEqual(Object.keys(job.processedByWorker), ["reads-a"], "only the worker that reads A ran it");
    assert.equal(job.verification?.matched, true);
    const target = accountB.client.database("shop").container("orders");
    assert.equal(await assertSameItems(orders, target), sourceItems);

    const stored = await (await CosmosStateStore.openExisting(accountB.client))?.getJob("a-to-b");
    assert.equal(stored?.status, "Completed", "the job record lives in B's state database");
    const text = JSON.stringify(stored);
    assert.ok(!text.includes(sourceKey) && !text.includes(accountB.key), "no key in the job record");
    await assert.rejects(
      accountA.client.database(stateDatabaseId).read(),
      (error: { code?: number }) => error.code === 404,
      "A has no state database",
    );
  });

  it("refuses a source container that exists in B but not in A, naming the source", async function () {
    for (const attempt of [
      () => jobs.plan(spec("missing", "only-in-b")),
      () => jobs.create(spec("missing", "only-in-b")),
    ]) {
      await assert.rejects(attempt(), (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, "OwnerResourceNotFound");
        assert.equal(error.field, "source");
        assert.match(error.message, /Owner resource does not exist: the source container 'shop\/only-in-b'/);
        return true;
      });
    }
    assert.equal(await jobs.find("missing"), undefined, "nothing was written");
  });

  it("explains a source account that refuses its key with A's endpoint, not B's", async function () {
    const wrongKey = {
      endpoint: accountA.endpoint,
      key: randomBytes(64).toString("base64"),
      caCertificate: source.caCertificate,
    };
    await assert.rejects(
      jobs.preflight({ ...spec("wrong-key"), sourceAccount: wrongKey }),
      (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, "Unauthorized");
        assert.equal(error.field, "sourceAccount");
        assert.ok(
          error.message.includes(`The source account at '${accountA.endpoint}' refused`),
          error.message,
        );
        assert.ok(!error.message.includes(wrongKey.key));
        return true;
      },
    );
  });

  it("says so when a job waits for a worker that can read its source and none can be started", async function () {
    await jobs.create(spec("no-reader"), { startWorker: false });
    await assert.rejects(
      jobs.wait("no-reader", { startWorkerIfNone: true, pollIntervalMs: 100, timeoutMs: 60_000 }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "NoWorkerForSource");
        assert.ok(error.message.includes(new URL(accountA.endpoint).toString()), error.message);
        assert.match(error.message, /--src-endpoint/);
        return true;
      },
    );
    await assert.rejects(jobs.resume("no-reader"), /SourceAccountRequired|needs that account's credentials/);
    await assert.rejects(
      jobs.resume("no-reader", { sourceAccount: connectionOf(accountB) }),
      (error: Error & { code?: string }) => error.code === "SourceAccountMismatch",
    );
    assert.equal((await jobs.get("no-reader")).status, "Pending", "the refusals changed nothing");
    await jobs.delete("no-reader");
  });
});
