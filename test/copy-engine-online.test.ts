import { ChangeFeedPolicy, ChangeFeedRetentionTimeSpan, type Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyJobs, isTailing, terminalStatuses, type CopyWorker, type JobRecord } from "../engine";
import { CosmosStateStore } from "../engine/state-store";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { assertSameItems } from "./support/same-items";
import { seedContainer } from "./support/seed";
import { SteadyWriter } from "./support/steady-writer";
import { until } from "./support/until";
import { startWorkerProcess, suiteWorker } from "./support/worker-process";
import type { WorkerProcess } from "../engine/worker-process";

/**
 * Online copies: a container copied into one with another partition key while an application keeps
 * creating, replacing and deleting its items; after `complete` the target equals the source. Worker crashes
 * in the tailing phase lose and duplicate nothing.
 */
const seeded = 4000;
/**
 * The application's write rate: well below what a worker copies on a loaded machine, since a first pass ends
 * only once every range has caught up with the writes, and one that never catches up never starts tailing.
 */
const writesPerSecond = 100;

interface Pair {
  name: string;
  source: Container;
  target: Container;
  spec: Parameters<CopyJobs["create"]>[0];
}

async function containerPair(cosmos: TestEndpoint, policy = true): Promise<Pair> {
  const name = uniqueName("online");
  const { database } = await cosmos.client.databases.create({ id: name });
  const { container: source } = await database.containers.create({
    id: "src",
    partitionKey: { paths: ["/pk"] },
    throughput: 20000,
    ...(policy
      ? { changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60)) }
      : {}),
  });
  const { container: target } = await database.containers.create({
    id: "dst",
    partitionKey: { paths: ["/customerId"] },
    throughput: 20000,
  });
  await seedContainer(source, { count: seeded, partitionKeys: 300, itemBytes: 400 });
  return {
    name,
    source,
    target,
    spec: {
      name,
      mode: "Online",
      source: { database: name, container: "src" },
      destination: { database: name, container: "dst" },
      options: { pageSize: 200, workerCount: 1 },
    },
  };
}

function seededItems(): { id: string; pk: string }[] {
  return Array.from({ length: seeded }, (_, index) => ({
    id: `item-${index}`,
    pk: `customer-${index % 300}`,
  }));
}

/** The target holds exactly the source's items: ids, bodies, count; nothing the writer deleted. */
function assertEqualContainers(pair: Pair, deleted: Set<string>): Promise<number> {
  return assertSameItems(pair.source, pair.target, deleted);
}

function phaseOf(job: JobRecord): string {
  return `${job.status}/${job.online?.phase ?? "-"}`;
}

describe("copy engine: online copy while the application writes", function () {
  // Room for a loaded machine: a test here copies, tails and verifies twice over.
  this.timeout(300_000);
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;
  const writers: SteadyWriter[] = [];
  const processes: WorkerProcess[] = [];

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 2 });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
  });

  /**
   * A test that fails midway must not leave the next one behind its job: an online job tails until it is
   * completed and holds the account's job slot, so it is deleted (cancelled), and its writer and worker
   * processes stopped.
   */
  afterEach(async function () {
    await Promise.all(writers.splice(0).map((writer) => writer.stop().catch(() => undefined)));
    await Promise.all(processes.splice(0).map((worker) => worker.kill()));
    for (const job of await jobs.list()) {
      if (!terminalStatuses.includes(job.status)) await jobs.delete(job.name);
    }
  });

  after(async function () {
    jobs?.dispose();
    await cosmos?.stop();
  });

  /** Waits for the job's first pass to end, and fails at once (with its error) if it ended instead of tailing. */
  async function untilTailing(name: string, timeoutMs?: number): Promise<JobRecord> {
    const job = await until(
      () => jobs.get(name),
      (current) => isTailing(current) || terminalStatuses.includes(current.status),
      "the first pass to end",
      timeoutMs,
    );
    assert.equal(phaseOf(job), "Running/Tailing", JSON.stringify(job.error));
    return job;
  }

  function startWriter(pair: Pair): SteadyWriter {
    const writer = new SteadyWriter(pair.source, seededItems(), writesPerSecond);
    writers.push(writer);
    writer.start();
    return writer;
  }

  function startWorker(workerId: string, idleTimeoutMs: number): WorkerProcess {
    const worker = startWorkerProcess(cosmos, workerId, idleTimeoutMs);
    processes.push(worker);
    return worker;
  }

  it("refuses a source without a change feed policy, naming it and the fix, before writing anything", async function () {
    const pair = await containerPair(cosmos, false);
    await assert.rejects(jobs.create(pair.spec, { startWorker: false }), (error: Error) => {
      assert.match(error.message, new RegExp(`source container '${pair.name}/src'.*no change feed policy`));
      assert.match(error.message, /ChangeFeedPolicy\(ChangeFeedRetentionTimeSpan\.fromMinutes/);
      return true;
    });
    assert.equal(await jobs.find(pair.name), undefined, "no job was recorded");
  });

  describe("with a worker in this process", function () {
    let worker: CopyWorker;
    let running: Promise<unknown>;

    before(function () {
      worker = suiteWorker(cosmos, "online-worker");
      running = worker.run();
    });

    after(async function () {
      worker?.stop();
      await running;
    });

    it("copies while items are created, replaced and deleted, tails, and after complete holds exactly the source", async function () {
      const pair = await containerPair(cosmos);
      const writer = startWriter(pair);
      await jobs.create(pair.spec, { startWorker: false });
      const tailing = await untilTailing(pair.name);
      // Changes made after the first pass reach the target too, and the lag says how far behind it is.
      const applied = tailing.online?.appliedChanges ?? 0;
      const during = await until(
        () => jobs.get(pair.name),
        (job) => (job.online?.appliedChanges ?? 0) >= applied + 600 && job.online?.lag !== undefined,
        "600 more changes applied while tailing",
      );
      assert.ok((during.online?.lag?.seconds ?? -1) >= 0);
      const counts = await writer.stop();
      assert.ok(counts.deleted > 100 && counts.replaced > 200, JSON.stringify(counts));

      await jobs.complete(pair.name, { startWorker: false });
      const done = await jobs.wait(pair.name, { timeoutMs: 120_000 });
      assert.equal(done.status, "Completed", JSON.stringify(done.error));
      assert.equal(done.verification?.matched, true);
      assert.deepEqual(done.online?.lag, { changes: 0, seconds: 0 });
      const total = await assertEqualContainers(pair, counts.deletedIds);
      // The writer's own arithmetic agrees, when every one of its writes is known to have happened.
      if (counts.unsure === 0) assert.equal(total, seeded + counts.created - counts.deleted);
      process.stdout.write(
        `      online: ${counts.created} created, ${counts.replaced} replaced, ${counts.deleted} deleted during the copy; ${done.online?.appliedChanges} changes applied; ${total} items at the end\n`,
      );
    });

    it("reports its lag while it falls behind, and catches up once its read cap is raised", async function () {
      const pair = await containerPair(cosmos);
      // Reads of the source capped low: the changes come faster than the job may read them.
      const slow = { ...pair.spec, options: { pageSize: 50, workerCount: 1 } };
      await jobs.create(slow, { startWorker: false });
      await untilTailing(pair.name);
      await jobs.updateOptions(pair.name, { sourceThroughputLimit: { requestUnitsPerSecond: 10 } });
      const writer = startWriter(pair);
      const behind = await until(
        () => jobs.get(pair.name),
        (job) => (job.online?.lag?.changes ?? 0) >= 200 && (job.online?.lag?.seconds ?? 0) >= 1,
        "a lag of 200 changes and a second",
      );
      const counts = await writer.stop();
      await jobs.updateOptions(pair.name, { sourceThroughputLimit: { requestUnitsPerSecond: 100_000 } });
      await jobs.complete(pair.name, { startWorker: false });
      const done = await jobs.wait(pair.name, { timeoutMs: 120_000 });
      assert.equal(done.status, "Completed", JSON.stringify(done.error));
      assert.deepEqual(done.online?.lag, { changes: 0, seconds: 0 });
      await assertEqualContainers(pair, counts.deletedIds);
      process.stdout.write(
        `      lag while capped at 10 RU/s: ${behind.online?.lag?.changes} changes, ${behind.online?.lag?.seconds} s\n`,
      );
    });

    it("cancels while tailing: the job ends Cancelled and its worker lets its ranges go", async function () {
      const pair = await containerPair(cosmos);
      await jobs.create(pair.spec, { startWorker: false });
      await untilTailing(pair.name);
      assert.equal((await jobs.cancel(pair.name)).status, "Cancelled");
      const store = await CosmosStateStore.open(cosmos.client);
      await until(
        () => store.listRanges(pair.name),
        (ranges) => ranges.every((range) => range.leaseOwner === undefined),
        "every lease given back",
      );
      await assert.rejects(jobs.complete(pair.name), /it is Cancelled/);
    });

    it("pauses and resumes while tailing, and refuses complete for an offline job or a paused one", async function () {
      const pair = await containerPair(cosmos);
      await jobs.create(pair.spec, { startWorker: false });
      await untilTailing(pair.name);
      await jobs.pause(pair.name);
      await assert.rejects(jobs.complete(pair.name), /it is Paused.*Resume it first/s);
      const writer = startWriter(pair);
      await until(
        () => Promise.resolve(writer.operations),
        (done) => done >= 300,
        "300 writes while paused",
      );
      const counts = await writer.stop();
      await jobs.resume(pair.name);
      await jobs.complete(pair.name, { startWorker: false });
      const done = await jobs.wait(pair.name, { timeoutMs: 120_000 });
      assert.equal(done.status, "Completed", JSON.stringify(done.error));
      await assertEqualContainers(pair, counts.deletedIds);

      const offline = await containerPair(cosmos);
      await jobs.create({ ...offline.spec, mode: "Offline" }, { startWorker: false });
      await assert.rejects(jobs.complete(offline.name), /runs in Offline mode/);
      // The name is that copy's: the same containers online is another copy, refused naming the mode.
      await assert.rejects(
        jobs.create({ ...offline.spec, mode: "Online" }, { startWorker: false }),
        /already exists and copies .*\/src → .*\/dst in Offline mode/,
      );
      await jobs.wait(offline.name, { timeoutMs: 120_000 });
    });
  });

  it("loses and duplicates nothing when its worker is killed with SIGKILL twice while tailing, and its ranges move to a second worker", async function () {
    // Three processes (writer, worker, endpoint) share the machine here.
    this.timeout(600_000);
    const pair = await containerPair(cosmos);
    // Closed by the full check: both sides read whole into counts and checksums.
    const options = { ...pair.spec.options, verificationMode: "full" as const };
    await jobs.create({ ...pair.spec, options }, { startWorker: false });
    const writer = startWriter(pair);
    let worker = startWorker("online-crashy", 60_000);
    await untilTailing(pair.name, 300_000);
    for (let kill = 1; kill <= 2; kill++) {
      const before = (await jobs.get(pair.name)).online?.appliedChanges ?? 0;
      await until(
        () => jobs.get(pair.name),
        (job) => (job.online?.appliedChanges ?? 0) >= before + 300,
        `300 changes applied before kill ${kill}`,
      );
      await worker.kill();
      worker = startWorker("online-crashy", 1500);
    }
    // A second worker takes its share of the ranges: their leases move between live workers mid-tail.
    const second = startWorker("online-second", 1500);
    const store = await CosmosStateStore.open(cosmos.client);
    await until(
      () => store.listRanges(pair.name),
      (ranges) => ranges.some((range) => range.leaseOwner === "online-second"),
      "a range leased by the second worker",
    );
    const applied = (await jobs.get(pair.name)).online?.appliedChanges ?? 0;
    await until(
      () => jobs.get(pair.name),
      (job) => (job.online?.appliedChanges ?? 0) >= applied + 300,
      "300 changes applied after the second restart",
    );
    const counts = await writer.stop();
    await jobs.complete(pair.name, { startWorker: false });
    const done = await jobs.wait(pair.name, { timeoutMs: 180_000 });
    assert.equal(done.status, "Completed", JSON.stringify(done.error));
    assert.equal(done.verification?.mode, "full");
    assert.equal(done.verification?.targetChecksum, done.verification?.sourceChecksum);
    assert.deepEqual(await Promise.all([worker.exited(), second.exited()]), [0, 0]);
    await assertEqualContainers(pair, counts.deletedIds);
  });
});
