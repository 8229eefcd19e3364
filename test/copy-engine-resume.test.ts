import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import {
  CopyJobs,
  maxRecopiedItems,
  type CopyWorker,
  type JobRecord,
  type JobSpec,
  type RangeRecord,
} from "../engine";
import { CosmosStateStore, type StateStore } from "../engine/state-store";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { checkpointsAtRest, restoreCheckpointedItems } from "./support/restore";
import { readAllItems, seedContainer } from "./support/seed";
import { until } from "./support/until";
import { suiteWorker, writesTaken } from "./support/worker-process";

/**
 * Failed jobs resumed with `CopyJobs.resume`: one whose target was deleted mid-copy, one that failed its
 * closing verification. Each must end Completed with the target equal to the source, having carried on
 * from its checkpoints: what it wrote is counted from cosmos-emulator's partition LSNs, against the
 * engine's crash bound. Refused resumes must leave the job and its checkpoints exactly as they were.
 */
const pageSize = 20;

describe("copy engine: resuming a failed job from its checkpoints", function () {
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;
  let store: StateStore;
  let database: Database;
  let worker: CopyWorker;
  let working: Promise<unknown>;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // writes are counted from cosmos-emulator's partition LSNs
    cosmos = await openEndpoint({ http: true });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    store = await CosmosStateStore.open(cosmos.client);
    ({ database } = await cosmos.client.databases.create({ id: "resume" }));
    // One worker for the whole suite: it runs each job, goes idle when the job fails, and runs it again
    // once it is resumed.
    worker = suiteWorker(cosmos, "resumer");
    working = worker.run();
  });

  after(async function () {
    worker?.stop();
    await working;
    jobs?.dispose();
    await cosmos?.stop();
  });

  /** A source of `count` 1 KB items over 4 feed ranges (40,000 RU/s at 10,000 per partition). */
  async function sourceOf(id: string, count: number): Promise<Container> {
    const { container } = await database.containers.create({
      id,
      partitionKey: { paths: ["/pk"] },
      throughput: 40_000,
    });
    await seedContainer(container, { count, partitionKeys: 50, itemBytes: 1000 });
    return container;
  }

  async function targetOf(id: string): Promise<Container> {
    return (
      await database.containers.create({ id, partitionKey: { paths: ["/category"] }, throughput: 10_000 })
    ).container;
  }

  function specFor(name: string, source: Container, target: Container, options: JobSpec["options"]): JobSpec {
    return {
      name,
      source: { database: database.id, container: source.id },
      destination: { database: database.id, container: target.id },
      options: { pageSize, ...options },
    };
  }

  /** The job and its range records, etags included: a refused resume must leave them exactly so. */
  async function stateOf(name: string): Promise<{ job: JobRecord; ranges: RangeRecord[] }> {
    return { job: await jobs.get(name), ranges: await store.listRanges(name) };
  }

  async function expectRefusedResume(name: string, code: string, message: RegExp): Promise<void> {
    const before = await stateOf(name);
    await assert.rejects(jobs.resume(name, { startWorker: false }), (error: Error & { code?: string }) => {
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
    assert.deepEqual(await stateOf(name), before, "a refused resume writes nothing");
  }

  async function expectExactCopy(source: Container, target: Container): Promise<void> {
    const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
    assert.equal(targetItems.size, sourceItems.size);
    for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);
  }

  it("a target deleted mid-copy: refused while it is missing, then carries on from the checkpoints once its items are restored", async function () {
    const items = 1500;
    const source = await sourceOf("orders", items);
    let target = await targetOf("orders-copy");
    const bound = maxRecopiedItems(pageSize, (await source.getFeedRanges()).length);
    // Capped at 1,000 RU/s (about 110 items/s) so the copy lasts long enough to delete the target under it.
    await jobs.create(
      specFor("deleted-target", source, target, { targetThroughputLimit: { requestUnitsPerSecond: 1000 } }),
      { startWorker: false },
    );
    // Past the crash bound, so that a copy from zero after the resume could not pass as a re-copy.
    await until(
      () => jobs.get("deleted-target"),
      (job) => job.processedCount > bound,
      `more than ${bound} items copied`,
    );
    await target.delete();

    const failed = await jobs.wait("deleted-target", { pollIntervalMs: 100, timeoutMs: 60_000 });
    assert.equal(failed.status, "Failed");
    assert.match(failed.error?.message ?? "", /Owner resource does not exist/);
    const checkpoints = await checkpointsAtRest(store, "deleted-target");
    const checkpointed = checkpoints.reduce((sum, range) => sum + range.processedCount, 0);
    assert.ok(checkpointed > bound && checkpointed < items, `${checkpointed} items checkpointed`);

    await expectRefusedResume(
      "deleted-target",
      "OwnerResourceNotFound",
      /Owner resource does not exist: the destination container 'resume\/orders-copy'/,
    );
    // Created again and its items restored (as a point-in-time restore would): the checkpoints hold.
    target = await targetOf("orders-copy");
    assert.equal(await restoreCheckpointedItems(source, target, checkpoints), checkpointed);
    const resumed = await jobs.resume("deleted-target", { startWorker: false });
    assert.equal(resumed.status, "Pending");
    assert.deepEqual(
      [resumed.error, resumed.verification, resumed.completedAt],
      [undefined, undefined, undefined],
    );
    assert.equal(resumed.processedCount, failed.processedCount, "its progress is kept");

    const done = await jobs.wait("deleted-target", { pollIntervalMs: 100, timeoutMs: 120_000 });
    assert.equal(done.status, "Completed", JSON.stringify(done.error));
    assert.equal(done.processedCount, items);
    assert.equal(done.verification?.matched, true);
    await expectExactCopy(source, target);
    const recopied = (await writesTaken(target)) - items;
    assert.ok(
      recopied >= 0 && recopied <= bound,
      `wrote ${recopied} items twice; at most ${bound}, and ${checkpointed} had it copied from zero`,
    );
    process.stdout.write(
      `      ${checkpointed} items checkpointed at the failure; re-copied after the resume: ${recopied} (bound ${bound})\n`,
    );
    assert.ok(
      done.durationMs < Date.parse(done.completedAt!) - Date.parse(done.startedAt!),
      "the time it sat failed is not running time",
    );
  });

  it("a failed verification: resumed, every range is read on from its checkpoint, so only what the source gained is copied", async function () {
    const source = await sourceOf("growing", 600);
    const target = await targetOf("growing-copy");
    const stray = { id: "not-from-the-source", pk: "x", category: "x" };
    await target.items.create(stray);
    await jobs.create(specFor("mismatch", source, target, {}), { startWorker: false });
    const failed = await jobs.wait("mismatch", { pollIntervalMs: 100, timeoutMs: 120_000 });
    assert.equal(failed.status, "Failed");
    assert.equal(failed.error?.code, "VerificationMismatch");
    assert.ok((await checkpointsAtRest(store, "mismatch")).every((range) => range.drained));

    // The cause fixed (the stray item gone), and items written to the source since the copy read it.
    await target.item(stray.id, stray.category).delete();
    await seedContainer(source, { count: 30, partitionKeys: 50, itemBytes: 1000, idPrefix: "late" });
    const writesBefore = await writesTaken(target);
    await jobs.resume("mismatch", { startWorker: false });

    const done = await jobs.wait("mismatch", { pollIntervalMs: 100, timeoutMs: 120_000 });
    assert.equal(done.status, "Completed", JSON.stringify(done.error));
    assert.equal(done.processedCount, 630);
    assert.equal(done.totalCount, 630, "the source was counted again");
    assert.deepEqual([done.verification?.sourceCount, done.verification?.targetCount], [630, 630]);
    await expectExactCopy(source, target);
    const written = (await writesTaken(target)) - writesBefore;
    const bound = maxRecopiedItems(pageSize, (await source.getFeedRanges()).length);
    assert.ok(written >= 30 && written <= 30 + bound, `wrote ${written} items for the 30 new ones`);
  });
});
