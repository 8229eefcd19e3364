import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyJobs, CopyWorker, stateDatabaseId, type AccountConnection, type JobRecord } from "../engine";
import { CosmosStateStore } from "../engine/state-store";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { connectionOf } from "./support/engine-suite";
import { readAllItems, seedContainer } from "./support/seed";
import { expectFailure } from "./support/expect-failure";

/**
 * The copy engine end to end against a Cosmos DB endpoint, through its public API: jobs created with
 * CopyJobs and run by in-process CopyWorkers (process-level crashes are in copy-engine-crash.test.ts).
 */
async function runUntilIdle(connection: AccountConnection, workers = 1): Promise<CopyWorker[]> {
  const started = Array.from(
    { length: workers },
    (_, i) =>
      new CopyWorker({
        connection,
        workerId: `w${i + 1}`,
        idleTimeoutMs: 1500,
        pollIntervalMs: 100,
        heartbeatIntervalMs: 300,
      }),
  );
  await Promise.all(started.map((w) => w.run()));
  return started;
}

describe("copy engine", function () {
  let cosmos: TestEndpoint;
  let connection: AccountConnection;
  let jobs: CopyJobs;
  let database: Database;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    connection = connectionOf(cosmos);
    jobs = CopyJobs.connect(connection);
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("shop") }));
  });

  after(async function () {
    jobs?.dispose();
    await database?.delete().catch(() => undefined);
    await cosmos?.client
      .database(stateDatabaseId)
      .delete()
      .catch(() => undefined);
    await cosmos?.stop();
  });

  async function container(id: string, path: string, throughput = 100000): Promise<Container> {
    return (await database.containers.create({ id, partitionKey: { paths: [path] }, throughput })).container;
  }

  it("copies 20,000 items across 500 partition keys into a container with another partition key", async function () {
    const source = await container("orders", "/pk");
    const target = await container("orders-by-category", "/category");
    await seedContainer(source, { count: 20000, partitionKeys: 500, itemBytes: 300 });
    const created = await jobs.create(
      {
        name: "orders-migration",
        source: { database: database.id, container: "orders" },
        destination: { database: database.id, container: "orders-by-category" },
      },
      { startWorker: false },
    );
    assert.equal(created.status, "Pending");
    await runUntilIdle(connection);
    const job = await jobs.get("orders-migration");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, 20000);
    assert.equal(job.totalCount, 20000);
    assert.equal(job.verification?.matched, true);
    assert.equal(job.verification?.targetCount, 20000);
    const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
    assert.equal(targetItems.size, 20000);
    for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);
  });

  it("refuses a missing target with 'Owner resource does not exist', the names and the fix, and writes nothing", async function () {
    const before = await jobs.list();
    const error = await expectFailure(
      jobs.create({
        name: "typo",
        source: { database: database.id, container: "orders" },
        destination: { database: database.id, container: "orders-by-categroy" },
      }),
    );
    assert.match(error.message, /Owner resource does not exist/);
    assert.match(error.message, /orders-by-categroy/);
    assert.match(error.message, /Create the target container first/);
    assert.equal((error as { substatus?: number }).substatus, 1003);
    assert.deepEqual(
      (await jobs.list()).map((j) => j.name),
      before.map((j) => j.name),
    );
  });

  it("refuses bad specs before touching the account: same container, bad names, missing database", async function () {
    const same = await expectFailure(
      jobs.create({
        name: "same",
        source: { database: database.id, container: "orders" },
        destination: { database: database.id, container: "orders" },
      }),
    );
    assert.match(same.message, /copy into a new container/);
    const badName = await expectFailure(
      jobs.create({
        name: "bad",
        source: { database: database.id, container: "orders" },
        destination: { database: database.id, container: "a/b" },
      }),
    );
    assert.match(badName.message, /destination.container 'a\/b' is not a valid Cosmos DB name/);
    const noDatabase = await expectFailure(
      jobs.create({
        name: "nodb",
        source: { database: "nope", container: "orders" },
        destination: { database: database.id, container: "orders-by-category" },
      }),
    );
    assert.match(noDatabase.message, /source database 'nope' was not found/);
  });

  it("is idempotent by name, and refuses the same name for another copy", async function () {
    const spec = {
      name: "idempotent",
      source: { database: database.id, container: "orders" },
      destination: { database: database.id, container: "orders-by-category" },
    };
    const first = await jobs.create(spec, { startWorker: false });
    const again = await jobs.create(spec, { startWorker: false });
    assert.equal(again.createdAt, first.createdAt);
    const other = await expectFailure(
      jobs.create({
        ...spec,
        source: { database: database.id, container: "orders-by-category" },
        destination: { database: database.id, container: "orders" },
      }),
    );
    assert.match(other.message, /already exists/);
    await jobs.delete("idempotent");
  });

  it("runs two jobs created back to back one after the other", async function () {
    const a = await container("a", "/pk");
    await seedContainer(a, { count: 3000, partitionKeys: 50 });
    await container("a-copy", "/category");
    await container("a-copy-2", "/category");
    await jobs.create(
      {
        name: "first",
        source: { database: database.id, container: "a" },
        destination: { database: database.id, container: "a-copy" },
      },
      { startWorker: false },
    );
    await jobs.create(
      {
        name: "second",
        source: { database: database.id, container: "a" },
        destination: { database: database.id, container: "a-copy-2" },
      },
      { startWorker: false },
    );
    await runUntilIdle(connection, 2);
    const [first, second] = await Promise.all([jobs.get("first"), jobs.get("second")]);
    assert.equal(first.status, "Completed");
    assert.equal(second.status, "Completed");
    assert.ok(
      Date.parse(first.completedAt!) <= Date.parse(second.startedAt!),
      `${first.completedAt} <= ${second.startedAt}`,
    );
  });

  it("shares one job between two workers, each copying part of it, with an exact result", async function () {
    const source = await container("shared-source", "/pk");
    await container("shared-target", "/category");
    await seedContainer(source, { count: 8000, partitionKeys: 200, itemBytes: 400 });
    await jobs.create(
      {
        name: "shared",
        source: { database: database.id, container: "shared-source" },
        destination: { database: database.id, container: "shared-target" },
        options: { pageSize: 100 },
      },
      { startWorker: false },
    );
    await runUntilIdle(connection, 2);
    const job = await jobs.get("shared");
    assert.equal(job.status, "Completed");
    assert.equal(job.processedCount, 8000);
    assert.ok(
      (job.processedByWorker.w1 ?? 0) > 0 && (job.processedByWorker.w2 ?? 0) > 0,
      JSON.stringify(job.processedByWorker),
    );
    assert.equal((job.processedByWorker.w1 ?? 0) + (job.processedByWorker.w2 ?? 0), 8000);
  });

  it("pauses within a page, resumes from its checkpoints, cancels, and refuses invalid transitions", async function () {
    const source = await container("pausable", "/pk");
    await container("pausable-target", "/pk", 1000);
    await seedContainer(source, { count: 1200, partitionKeys: 20, itemBytes: 1000 });
    await jobs.create(
      {
        name: "pausable",
        source: { database: database.id, container: "pausable" },
        destination: { database: database.id, container: "pausable-target" },
        options: { pageSize: 50 },
      },
      { startWorker: false },
    );
    const worker = new CopyWorker({ connection, workerId: "pw", idleTimeoutMs: 60_000, pollIntervalMs: 100 });
    const running = worker.run();
    await jobs.wait("pausable", { pollIntervalMs: 100, timeoutMs: 1 }).catch(() => undefined);
    let job: JobRecord;
    do job = await jobs.get("pausable");
    while (job.processedCount === 0);
    await jobs.pause("pausable");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const paused = await jobs.get("pausable");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stillPaused = await jobs.get("pausable");
    assert.equal(stillPaused.status, "Paused");
    assert.equal(stillPaused.processedCount, paused.processedCount, "no progress while paused");
    assert.ok(paused.processedCount < 1200);
    const resumeCompleted = await expectFailure(jobs.pause("pausable"));
    assert.match(resumeCompleted.message, /Cannot pause job 'pausable': it is Paused/);
    await jobs.resume("pausable", { startWorker: false });
    const done = await jobs.wait("pausable", { pollIntervalMs: 200, timeoutMs: 120_000 });
    assert.equal(done.status, "Completed");
    assert.equal(done.processedCount, 1200);
    assert.match(
      (await expectFailure(jobs.resume("pausable"))).message,
      /Cannot resume job 'pausable': it is Completed/,
    );
    await jobs.create(
      {
        name: "cancelled",
        source: { database: database.id, container: "pausable" },
        destination: { database: database.id, container: "pausable-target" },
      },
      { startWorker: false },
    );
    await jobs.cancel("cancelled");
    assert.equal((await jobs.get("cancelled")).status, "Cancelled");
    assert.match(
      (await expectFailure(jobs.pause("cancelled"))).message,
      /Cannot pause job 'cancelled': it is Cancelled/,
    );
    worker.stop();
    await running;
  });

  it("fails a running job when the account's write region changes, and refuses to resume it", async function () {
    const source = await container("regional", "/pk");
    await container("regional-target", "/pk", 400);
    await seedContainer(source, { count: 3000, partitionKeys: 30, itemBytes: 1000 });
    await jobs.create(
      {
        name: "regional",
        source: { database: database.id, container: "regional" },
        destination: { database: database.id, container: "regional-target" },
        options: { pageSize: 50 },
      },
      { startWorker: false },
    );
    const worker = new CopyWorker({
      connection,
      workerId: "rw",
      idleTimeoutMs: 1000,
      pollIntervalMs: 100,
      regionCheckIntervalMs: 200,
    });
    const running = worker.run();
    let job: JobRecord;
    do job = await jobs.get("regional");
    while (job.processedCount === 0);
    await cosmos.admin!.setWriteRegion("West Europe");
    await running;
    job = await jobs.get("regional");
    assert.equal(job.status, "Failed");
    assert.equal(job.error?.code, "WriteRegionChanged");
    assert.match(job.error.message, /create it again/);
    await cosmos.admin!.setWriteRegion(job.writeRegion!);

    const store = await CosmosStateStore.open(cosmos.client);
    const ranges = await store.listRanges("regional");
    const refused = await expectFailure(jobs.resume("regional", { startWorker: false }));
    assert.equal(refused.code, "JobMustBeRecreated");
    assert.match(
      refused.message,
      /^Cannot resume job 'regional': the account's write region changed .* Delete job 'regional' and create it again\.$/,
    );
    assert.deepEqual(await jobs.get("regional"), job, "the job is left as it was");
    assert.deepEqual(await store.listRanges("regional"), ranges, "and so are its checkpoints");
  });

  it("completes exactly through a 429 storm, injected 503s and connection resets", async function () {
    const source = await container("stormy", "/pk");
    const target = await container("stormy-target", "/category");
    await seedContainer(source, { count: 4000, partitionKeys: 100, itemBytes: 200 });
    await jobs.create(
      {
        name: "stormy",
        source: { database: database.id, container: "stormy" },
        destination: { database: database.id, container: "stormy-target" },
        options: { pageSize: 200 },
      },
      { startWorker: false },
    );
    await cosmos.admin!.setFaults({
      throttleRate: 0.3,
      serviceUnavailableRate: 0.05,
      connectionResetRate: 0.03,
      durationMs: 8_000,
    });
    try {
      await runUntilIdle(connection);
    } finally {
      await cosmos.admin!.clearFaults();
    }
    const job = await jobs.get("stormy");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, 4000);
    assert.equal((await readAllItems(target)).size, 4000);
  });
});

describe("copy engine on a serverless account", function () {
  it("creates the state database without throughput and copies", async function () {
    const cosmos = await openEndpoint({ serverless: true });
    const connection = connectionOf(cosmos);
    const jobs = CopyJobs.connect(connection);
    try {
      const { database } = await cosmos.client.databases.create({ id: "app" });
      const { container: source } = await database.containers.create({
        id: "src",
        partitionKey: { paths: ["/pk"] },
      });
      await database.containers.create({ id: "dst", partitionKey: { paths: ["/category"] } });
      await seedContainer(source, { count: 500, partitionKeys: 10 });
      await jobs.create(
        {
          name: "serverless",
          source: { database: "app", container: "src" },
          destination: { database: "app", container: "dst" },
        },
        { startWorker: false },
      );
      await runUntilIdle(connection);
      assert.equal((await jobs.get("serverless")).status, "Completed");
      const { resources } = await cosmos.client.offers
        .readAll()
        .fetchAll()
        .catch((e) => ({ resources: [e.code] }));
      assert.deepEqual(resources, [400], "serverless accounts have no offers at all");
    } finally {
      jobs.dispose();
      await cosmos.stop();
    }
  });
});
