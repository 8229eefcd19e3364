import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { CopyJobs, CopyWorker, stateDatabaseId, type JobRecord, type JobSpec } from "../engine";
import { CosmosStateStore } from "../engine/state-store";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";
import { until } from "./support/until";
import { startWorkerProcess, writesTaken } from "./support/worker-process";

/**
 * The engine where request units bind: a 400 RU/s target (the service's minimum, what a new container
 * gets) with pages that cost more than the target allows in a lease period, one and two workers; a job
 * capped at a share of a larger target; SIGTERM mid-copy; and a job that asks for three workers.
 * RU figures come from cosmos-emulator's request statistics, so these run against the local emulator only.
 */
const leaseDurationMs = 2_000;

describe("copy engine under request-unit limits", function () {
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;
  let database: Database;
  let source: Container;
  let sourceItems: Map<string, Record<string, unknown>>;
  /** 2.5 KB items: 15 RU a write, so a page of 100 costs 1,500 RU, almost four seconds at 400 RU/s. */
  const items = 600;

  before(async function () {
    if (usingExternalEndpoint) this.skip();
    cosmos = await openEndpoint({ http: true, partitions: 4 });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    ({ database } = await cosmos.client.databases.create({ id: "limits" }));
    ({ container: source } = await database.containers.create({
      id: "src",
      partitionKey: { paths: ["/pk"] },
      throughput: 100000,
    }));
    await seedContainer(source, { count: items, partitionKeys: 60, itemBytes: 2500 });
    sourceItems = await readAllItems(source);
  });

  after(async function () {
    jobs?.dispose();
    await cosmos?.stop();
  });

  async function targetAt(id: string, throughput: number): Promise<Container> {
    return (await database.containers.create({ id, partitionKey: { paths: ["/category"] }, throughput }))
      .container;
  }

  function specFor(name: string, target: Container, options: JobSpec["options"] = {}): JobSpec {
    return {
      name,
      source: { database: "limits", container: "src" },
      destination: { database: "limits", container: target.id },
      options: { pageSize: 100, ...options },
    };
  }

  async function chargedTo(target: Container): Promise<number> {
    const statistics = await (cosmos.admin as NonNullable<TestEndpoint["admin"]>).statistics();
    return statistics[`dbs/limits/colls/${target.id}`]?.requestUnits ?? 0;
  }

  async function expectExactCopy(target: Container, job: JobRecord): Promise<void> {
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, items);
    assert.equal(job.verification?.matched, true);
    const copied = await readAllItems(target);
    assert.equal(copied.size, items);
    for (const [id, body] of sourceItems) assert.deepEqual(copied.get(id), body, `item ${id}`);
  }

  /** Runs in-process workers until the job ends, logging when each starts and stops copying a range. */
  async function runWorkers(count: number, name: string) {
    const spans: { worker: string; range: string; event: "start" | "stop"; at: number }[] = [];
    const workers = Array.from(
      { length: count },
      (_, i) =>
        new CopyWorker({
          connection: { endpoint: cosmos.endpoint, key: cosmos.key },
          workerId: `${name}-w${i + 1}`,
          idleTimeoutMs: 1500,
          pollIntervalMs: 100,
          heartbeatIntervalMs: 300,
          leaseDurationMs,
          log: (line) => {
            const match = /\[worker (\S+)\] (copying|stopped copying) (\S+)/.exec(line);
            if (match) {
              spans.push({
                worker: match[1],
                range: match[3],
                event: match[2] === "copying" ? "start" : "stop",
                at: performance.now(),
              });
            }
          },
        }),
    );
    await Promise.all(workers.map((worker) => worker.run()));
    return { job: await jobs.get(name), spans };
  }

  /** No range was copied by two workers at once: per range, one worker's span ends before the next begins. */
  function assertExclusive(spans: Awaited<ReturnType<typeof runWorkers>>["spans"]): void {
    const byRange = new Map<string, typeof spans>();
    for (const span of spans) byRange.set(span.range, [...(byRange.get(span.range) ?? []), span]);
    for (const [range, events] of byRange) {
      let holder: string | undefined;
      for (const event of events) {
        if (event.event === "start") {
          assert.equal(holder, undefined, `${event.worker} started ${range} while ${holder} was copying it`);
          holder = event.worker;
        } else {
          assert.equal(holder, event.worker, `${event.worker} stopped ${range}, held by ${holder}`);
          holder = undefined;
        }
      }
    }
  }

  for (const workerCount of [1, 2]) {
    it(`copies into a 400 RU/s target with ${workerCount} worker(s) at ≥ 0.8 of the budget's pace, each range written by one worker at a time`, async function () {
      const target = await targetAt(`at-400-${workerCount}`, 400);
      const name = `at-400-${workerCount}`;
      await jobs.create(specFor(name, target), { startWorker: false });
      const { job, spans } = await runWorkers(workerCount, name);
      const pace = (await chargedTo(target)) / ((job.durationMs / 1000) * 400);
      await expectExactCopy(target, job); // after the charge is read: its own reads are charged too
      process.stdout.write(
        `      ${workerCount} worker(s): ${job.durationMs} ms, ${(pace * 100).toFixed(0)} % of 400 RU/s, per worker ${JSON.stringify(job.processedByWorker)}\n`,
      );
      assert.ok(pace >= 0.8, `used ${(pace * 100).toFixed(0)} % of the budget's pace`);
      assert.equal(await writesTaken(target), items, "no item was written twice");
      assertExclusive(spans);
      if (workerCount === 2)
        assert.equal(Object.keys(job.processedByWorker).length, 2, "both workers copied");
    });
  }

  it("keeps a job capped at 10 % of a 10,000 RU/s target under its cap", async function () {
    const target = await targetAt("capped", 10000);
    await jobs.create(specFor("capped", target, { targetThroughputLimit: { percentOfProvisioned: 10 } }), {
      startWorker: false,
    });
    const { job } = await runWorkers(1, "capped");
    const used = (await chargedTo(target)) / (job.durationMs / 1000);
    await expectExactCopy(target, job);
    process.stdout.write(
      `      capped at 1,000 RU/s: used ${used.toFixed(0)} RU/s over ${job.durationMs} ms\n`,
    );
    // The cap covers everything the job spends in the target, its closing verification's reads included.
    assert.ok(used <= 1000 * 1.05, `used ${used.toFixed(0)} RU/s against a cap of 1,000`);
    assert.ok(used >= 1000 * 0.6, `used only ${used.toFixed(0)} RU/s of a cap of 1,000`);
  });

  it("stops a worker within seconds of SIGTERM, mid-page, and gives its leases back", async function () {
    const target = await targetAt("sigterm", 400);
    await jobs.create(specFor("sigterm", target), { startWorker: false });
    const worker = startWorkerProcess(cosmos, "sigterm-worker", 60_000);
    const store = await CosmosStateStore.open(cosmos.client);
    await until(
      () => store.listRanges("sigterm"),
      (ranges) => ranges.some((range) => range.leaseOwner === "sigterm-worker"),
      "the worker to lease ranges",
    );
    const asked = performance.now();
    await worker.stop();
    const tookMs = performance.now() - asked;
    assert.ok(tookMs < 5_000, `the worker took ${tookMs.toFixed(0)} ms to stop`);
    const ranges = await store.listRanges("sigterm");
    assert.ok(
      ranges.every((range) => !range.leaseOwner),
      "leases released",
    );
    assert.equal((await jobs.get("sigterm")).status, "Running", "the job waits for a worker");
    await jobs.cancel("sigterm");
  });

  it("completes exactly when the source's partitions split while the job runs", async function () {
    const { container: splitting } = await database.containers.create({
      id: "splitting",
      partitionKey: { paths: ["/pk"] },
      throughput: 20000,
    });
    await seedContainer(splitting, { count: 3000, partitionKeys: 300, itemBytes: 500 });
    const before = await splitting.getFeedRanges();
    const target = await targetAt("after-split", 2000);
    await jobs.create(
      { ...specFor("split", target), source: { database: "limits", container: "splitting" } },
      { startWorker: false },
    );
    const store = await CosmosStateStore.open(cosmos.client);
    const worker = startWorkerProcess(cosmos, "split-worker");
    // Split every range once some, but not all, of them have a checkpoint.
    await until(
      () => store.listRanges("split"),
      (ranges) => ranges.some((range) => range.continuation) && ranges.some((range) => !range.drained),
      "the copy to be under way",
    );
    const admin = cosmos.admin as NonNullable<TestEndpoint["admin"]>;
    for (let i = 0; i < before.length; i++) await admin.splitPartition("limits", "splitting");
    assert.ok((await splitting.getFeedRanges()).length > before.length, "the source split");
    assert.equal(await worker.exited(), 0);
    const job = await jobs.get("split");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, 3000);
    assert.equal(job.verification?.matched, true);
    const expected = await readAllItems(splitting);
    const copied = await readAllItems(target);
    assert.equal(copied.size, 3000);
    for (const [id, body] of expected) assert.deepEqual(copied.get(id), body, `item ${id}`);
  });

  it("starts the three workers a job asks for", async function () {
    const target = await targetAt("three", 100000);
    const idleBefore = process.env.COSMOS_COPY_IDLE_TIMEOUT_MS;
    process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = "2000";
    try {
      await jobs.create(specFor("three", target, { workerCount: 3 }));
    } finally {
      if (idleBefore === undefined) delete process.env.COSMOS_COPY_IDLE_TIMEOUT_MS;
      else process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = idleBefore;
    }
    const store = await CosmosStateStore.open(cosmos.client);
    const live = await until(
      () => store.liveWorkers(Date.now() - 15_000),
      (workers) => workers.length >= 3,
      "three live workers",
    );
    assert.equal(live.length, 3);
    const job = await jobs.wait("three", { timeoutMs: 120_000, pollIntervalMs: 200 });
    await expectExactCopy(target, job);
    // They idle out; wait so none outlives the endpoint.
    await until(
      async () => live.filter(({ pid }) => fs.existsSync(`/proc/${pid}`)).length,
      (alive) => alive === 0,
      "the workers to idle out",
    );
    await cosmos.client
      .database(stateDatabaseId)
      .read()
      .catch(() => undefined);
  });
});
