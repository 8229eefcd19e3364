import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyJobs, type CopyWorker, type JobSpec } from "../engine";
import { openEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";
import { until } from "./support/until";
import { suiteWorker } from "./support/worker-process";

/**
 * `CopyJobs.updateOptions`, the engine side of a Pulumi update in place: new options are validated as at
 * create, written to the job, and taken up by the workers running it, which restart from the checkpoints.
 */
describe("copy engine: changing a job's options in place", function () {
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;
  let database: Database;
  let source: Container;
  const workerLog: string[] = [];
  let worker: CopyWorker;
  let working: Promise<unknown>;

  before(async function () {
    cosmos = await openEndpoint({ http: true });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    ({ database } = await cosmos.client.databases.create({ id: "tuning" }));
    ({ container: source } = await database.containers.create({
      id: "orders",
      partitionKey: { paths: ["/pk"] },
      throughput: 40_000,
    }));
    await seedContainer(source, { count: 1200, partitionKeys: 50, itemBytes: 1000 });
    worker = suiteWorker(cosmos, "tuner", (line) => workerLog.push(line));
  });

  after(async function () {
    worker?.stop();
    await working;
    jobs?.dispose();
    await cosmos?.stop();
  });

  async function targetOf(id: string): Promise<Container> {
    return (
      await database.containers.create({ id, partitionKey: { paths: ["/category"] }, throughput: 20_000 })
    ).container;
  }

  function specFor(name: string, target: Container, options: JobSpec["options"]): JobSpec {
    return {
      name,
      source: { database: database.id, container: source.id },
      destination: { database: database.id, container: target.id },
      options,
    };
  }

  it("changes a pending job's options, and refuses a bad value naming it, writing nothing", async function () {
    const target = await targetOf("pending-copy");
    const created = await jobs.create(specFor("pending", target, {}), { startWorker: false });
    const updated = await jobs.updateOptions("pending", {
      pageSize: 100,
      targetThroughputLimit: { percentOfProvisioned: 50 },
      verificationMode: "full",
    });
    assert.equal(updated.options.pageSize, 100);
    assert.deepEqual(updated.options.targetThroughputLimit, { percentOfProvisioned: 50 });
    assert.equal(
      updated.options.verificationMode,
      "full",
      "a job that has not started may still choose full",
    );
    assert.equal(updated.createdAt, created.createdAt);

    await assert.rejects(jobs.updateOptions("pending", { pageSize: 0 }), /pageSize 0 is not valid/);
    assert.deepEqual(
      (await jobs.get("pending")).options,
      updated.options,
      "the refused change wrote nothing",
    );
    await jobs.delete("pending");
  });

  it("a running job takes new options at once: its worker restarts from the checkpoints, and it ends exact", async function () {
    const target = await targetOf("running-copy");
    // 1,000 RU/s and pages of 20: the copy would take over 10 s, so it is still running when it is changed.
    await jobs.create(
      specFor("running", target, { pageSize: 20, targetThroughputLimit: { requestUnitsPerSecond: 1000 } }),
      { startWorker: false },
    );
    working = worker.run();
    await until(
      () => jobs.get("running"),
      (job) => job.status === "Running" && job.processedCount > 0,
      "the copy under way",
    );

    await assert.rejects(
      jobs.updateOptions("running", { verificationMode: "full" }),
      (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, "InvalidTransition");
        assert.equal(error.field, "verificationMode");
        assert.match(error.message, /started copying without the checksums that mode compares/);
        return true;
      },
    );

    const updated = await jobs.updateOptions("running", {
      pageSize: 200,
      targetThroughputLimit: { requestUnitsPerSecond: 20_000 },
    });
    assert.equal(updated.options.pageSize, 200);
    const done = await jobs.wait("running", { pollIntervalMs: 100, timeoutMs: 120_000 });
    assert.equal(done.status, "Completed", JSON.stringify(done.error));
    assert.ok(
      workerLog.some((line) => line.includes("options of running changed: restarting from the checkpoints")),
      "the worker restarted its run with the new options",
    );
    assert.equal(done.processedCount, 1200);
    const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
    assert.equal(targetItems.size, sourceItems.size);
    for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);

    const unchanged = await jobs.updateOptions("running", { pageSize: 50 });
    assert.equal(unchanged.options.pageSize, 200, "a job that has ended keeps the options it ran with");
  });
});
