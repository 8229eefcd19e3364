import { ChangeFeedPolicy, ChangeFeedRetentionTimeSpan, type Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CopyJobError,
  CopyJobs,
  isTailing,
  stateDatabaseId,
  terminalStatuses,
  type CopyWorker,
  type JobRecord,
  type JobSpec,
} from "../engine";
import { openEndpoint, tempDir, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { assertTransformedItems, referenceTransform } from "./support/same-items";
import { readAllItems } from "./support/seed";
import { seedTenants, syntheticKeyModule, tenantItem } from "./support/tenants";
import { until } from "./support/until";
import { startWorkerProcess, suiteWorker } from "./support/worker-process";

/**
 * Copies through a user's transform: a synthetic partition key derived on the way (through a worker killed
 * mid-copy), a filter that skips items (counted, and verified against the transformed source), and the
 * failures a transform can cause, each naming what to fix: a transform that throws, a module file changed
 * after the job was created, and a module that is missing or exports no function (refused at create).
 */
const filterModule = `
// Every third item stays behind; the others are copied with a flag.
exports.keepActive = (item) => (item.index % 3 === 0 ? undefined : { ...item, copied: true });
`;

const throwingModule = `
exports.transform = (item) => {
  if (item.index === 77) throw new Error("no region for this tenant");
  return item;
};
`;

async function expectCopyJobError(promise: Promise<unknown>): Promise<CopyJobError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CopyJobError, String(error));
    return error;
  }
  assert.fail("expected a failure");
}

describe("copy engine: transform and filter", function () {
  this.timeout(600_000);
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;
  let database: Database;
  let modules: string;
  let worker: CopyWorker | undefined;
  let running: Promise<unknown> | undefined;

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 4 });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("transform") }));
    modules = tempDir("transforms");
  });

  afterEach(async function () {
    worker?.stop();
    await running;
    worker = undefined;
    running = undefined;
    for (const job of await jobs.list()) {
      if (!terminalStatuses.includes(job.status)) await jobs.delete(job.name);
    }
  });

  after(async function () {
    jobs?.dispose();
    fs.rmSync(modules, { recursive: true, force: true });
    await cosmos?.client
      .database(stateDatabaseId)
      .delete()
      .catch(() => undefined);
    await cosmos?.stop();
  });

  function writeModule(name: string, text: string): string {
    const file = path.join(modules, name);
    fs.writeFileSync(file, text);
    return file;
  }

  async function containers(name: string, targetKey: string, count: number) {
    const { container: source } = await database.containers.create({
      id: `${name}-src`,
      partitionKey: { paths: ["/tenantId"] },
      throughput: 100000,
    });
    const { container: target } = await database.containers.create({
      id: `${name}-dst`,
      partitionKey: { paths: [targetKey] },
      throughput: 100000,
    });
    if (count > 0) await seedTenants(source, count);
    return { source, target };
  }

  function specOf(name: string, extra: Partial<JobSpec> = {}): JobSpec {
    return {
      name,
      source: { database: database.id, container: `${name}-src` },
      destination: { database: database.id, container: `${name}-dst` },
      ...extra,
    };
  }

  /** A worker in this process that runs jobs as they are created, until the test ends. */
  function startSuiteWorker(): void {
    worker = suiteWorker(cosmos, "transformer");
    running = worker.run();
  }

  it("derives a synthetic partition key for 20,000 items, exactly, through a SIGKILL of the worker", async function () {
    const file = writeModule("synthetic-key.js", syntheticKeyModule);
    const { source, target } = await containers("synthetic", "/tenantUser", 20000);
    const created = await jobs.create(
      specOf("synthetic", { transform: { module: file }, options: { pageSize: 200 } }),
      { startWorker: false },
    );
    assert.equal(created.transform?.module, file);
    assert.equal(created.transform?.exportName, "transform");
    assert.match(created.transform?.sha256 ?? "", /^[0-9a-f]{64}$/);

    const first = startWorkerProcess(cosmos, "synthetic-worker");
    const atKill = await until(
      () => jobs.get("synthetic"),
      (job) => job.processedCount >= 2000 || terminalStatuses.includes(job.status),
      "the copy to be under way",
    );
    await first.kill();
    assert.equal(atKill.status, "Running", JSON.stringify(atKill.error));
    assert.ok((await jobs.get("synthetic")).processedCount < 20000, "killed mid-copy");

    const second = startWorkerProcess(cosmos, "synthetic-worker");
    assert.equal(await second.exited(), 0);
    const job = await jobs.get("synthetic");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.processedCount, 20000);
    assert.equal(job.skippedCount, 0);
    assert.equal(job.verification?.matched, true, JSON.stringify(job.verification));

    const counts = await assertTransformedItems(source, target, referenceTransform(file));
    assert.deepEqual(counts, { written: 20000, skipped: 0 });
    // Each item sits under the key the transform derived, without the dropped field.
    const sample = tenantItem(123);
    const key = `${sample.tenantId as string}-${sample.userId as string}`;
    const { resource } = await target.item("item-123", key).read<Record<string, unknown>>();
    assert.equal(resource?.tenantUser, key);
    assert.equal("legacy" in (resource ?? {}), false);
  });

  for (const verificationMode of ["full", "sampled"] as const) {
    it(`skips the items a filter leaves out, counts them, and verifies ("${verificationMode}") against the transformed source`, async function () {
      const file = writeModule("filter.js", filterModule);
      const name = `filter-${verificationMode}`;
      const { source, target } = await containers(name, "/tenantId", 3000);
      startSuiteWorker();
      await jobs.create(
        specOf(name, {
          transform: { module: file, exportName: "keepActive" },
          options: { pageSize: 250, verificationMode },
        }),
        { startWorker: false },
      );
      const job = await jobs.wait(name, { timeoutMs: 300_000, pollIntervalMs: 200 });
      assert.equal(job.status, "Completed", JSON.stringify(job.error));

      const counts = await assertTransformedItems(source, target, referenceTransform(file, "keepActive"));
      assert.deepEqual(counts, { written: 2000, skipped: 1000 });
      assert.equal(job.processedCount, counts.written);
      assert.equal(job.skippedCount, counts.skipped);
      assert.equal(job.totalCount, 3000);
      const verification = job.verification;
      assert.equal(verification?.mode, verificationMode);
      assert.equal(verification?.matched, true, JSON.stringify(verification));
      assert.equal(verification?.sourceCount, 3000);
      assert.equal(verification?.targetCount, counts.written);
      assert.equal(verification?.skippedCount, counts.skipped);
      if (verificationMode === "sampled") assert.ok((verification?.sampledItems ?? 0) > 0);
    });
  }

  /**
   * The message of the `TransformFailed` error a job through `moduleText` fails with: the item it fails on
   * (index 77) is written to the source after the job was created, so create's analysis did not see it.
   */
  async function transformFailure(name: string, moduleText: string): Promise<string> {
    const file = writeModule(`${name}.js`, moduleText);
    const { source, target } = await containers(name, "/tenantId", 50);
    await jobs.create(specOf(name, { transform: { module: file } }), { startWorker: false });
    await source.items.create(tenantItem(77));
    startSuiteWorker();
    const job = await jobs.wait(name, { timeoutMs: 300_000, pollIntervalMs: 200 });
    assert.equal(job.status, "Failed");
    assert.equal(job.error?.code, "TransformFailed", job.error?.message);
    assert.equal((await readAllItems(target)).has("item-77"), false);
    return job.error.message;
  }

  /** What the transform's error names: the item by id and source partition key. */
  const failingItem = `id "item-77" and source partition key ["${tenantItem(77).tenantId as string}"]`;

  it("copies through an ES module (.mjs) transform, as edited: each content loaded afresh", async function () {
    const { source, target } = await containers("esm", "/tenantId", 300);
    startSuiteWorker();
    for (const [round, flag] of ["first", "second"].entries()) {
      // The same path with new content: a worker that ran the first must not reuse it for the second.
      const file = writeModule(
        "esm-filter.mjs",
        `export const keep = (item) => (item.index % 2 ? { ...item, flag: "${flag}" } : undefined);\n`,
      );
      const name = `esm-${round}`;
      await jobs.create(
        { ...specOf("esm"), name, transform: { module: file, exportName: "keep" } },
        { startWorker: false },
      );
      const job = await jobs.wait(name, { timeoutMs: 300_000, pollIntervalMs: 200 });
      assert.equal(job.status, "Completed", JSON.stringify(job.error));
      assert.deepEqual([job.processedCount, job.skippedCount], [150, 150]);
      const items = [...(await readAllItems(target)).values()];
      assert.deepEqual(new Set(items.map((item) => item.flag)), new Set([flag]));
      assert.equal(items.length, 150);
    }
    assert.equal((await readAllItems(source)).size, 300);
  });

  it("fails the job on a transform that throws, naming the item, its source partition key and the error", async function () {
    const message = await transformFailure("throwing", throwingModule);
    assert.ok(
      message.includes(`threw 'no region for this tenant' for the item with ${failingItem}`),
      message,
    );
  });

  it("fails the job naming a transform that returns something other than an item", async function () {
    const noId = "exports.transform = (item) => (item.index === 77 ? { ...item, id: 77 } : item);\n";
    const message = await transformFailure("no-id", noId);
    assert.ok(
      message.includes(`returned an object whose id is 77 for the item with ${failingItem}`),
      message,
    );
  });

  it("refuses at create a transform that throws on an item the source holds, with nothing written", async function () {
    const file = writeModule("throwing-at-create.js", throwingModule);
    const { target } = await containers("throwing-at-create", "/tenantId", 100);
    const error = await expectCopyJobError(
      jobs.create(specOf("throwing-at-create", { transform: { module: file } }), { startWorker: false }),
    );
    assert.equal(error.code, "TransformFailed");
    assert.equal(error.field, "transform");
    assert.ok(error.message.includes(`threw 'no region for this tenant' for the item with ${failingItem}`));
    assert.equal(await jobs.find("throwing-at-create"), undefined, "no job was recorded");
    assert.equal((await readAllItems(target)).size, 0, "the target is empty");
  });

  it("refuses to run a transform whose module file changed since the job was created, naming the file", async function () {
    const file = writeModule("edited.js", syntheticKeyModule);
    const { target } = await containers("edited", "/tenantUser", 200);
    const created = await jobs.create(specOf("edited", { transform: { module: file } }), {
      startWorker: false,
    });
    fs.appendFileSync(file, "exports.extra = 1;\n");
    startSuiteWorker();
    const job = await jobs.wait("edited", { timeoutMs: 300_000, pollIntervalMs: 200 });
    assert.equal(job.status, "Failed");
    assert.equal(job.error?.code, "TransformChanged");
    assert.ok(job.error?.message.includes(`'${file}'`), job.error?.message);
    assert.ok(job.error?.message.includes(created.transform?.sha256 ?? "?"), job.error?.message);
    assert.match(job.error?.message ?? "", /Put the file back as it was and resume the job/);
    assert.equal((await readAllItems(target)).size, 0, "nothing was written");
  });

  describe("bad transform inputs are refused at create, on `transform`, with nothing written", function () {
    const cases: { title: string; module: () => string; exportName?: string; expect: RegExp }[] = [
      {
        title: "a module file that does not exist",
        module: () => path.join(modules, "missing.js"),
        expect: /transform module '.*missing\.js' cannot be read \(ENOENT\).*Check the path/,
      },
      {
        title: "a module without the export",
        module: () => writeModule("other-export.js", "exports.other = (item) => item;\n"),
        expect: /has no function export 'transform' \(no such export; function exports: other\)/,
      },
      {
        title: "an export that is not a function",
        module: () => writeModule("not-function.js", "exports.reshape = { id: 1 };\n"),
        exportName: "reshape",
        expect: /has no function export 'reshape' \(it is object; function exports: none\)/,
      },
      {
        title: "a module that fails to load",
        module: () => writeModule("broken.js", "exports.transform = (item) => {\n"),
        expect: /transform module '.*broken\.js' failed to load: .*Fix the module/,
      },
    ];
    for (const { title, module, exportName, expect } of cases) {
      it(title, async function () {
        const name = uniqueName("bad");
        const { target } = await containers(name, "/tenantId", 0);
        const spec = specOf(name, { transform: { module: module(), exportName } });
        for (const attempt of [jobs.plan(spec), jobs.create(spec, { startWorker: false })]) {
          const error = await expectCopyJobError(attempt);
          assert.equal(error.code, "InvalidTransform");
          assert.equal(error.field, "transform");
          assert.match(error.message, expect);
        }
        assert.equal(await jobs.find(name), undefined, "no job was recorded");
        assert.equal((await readAllItems(target)).size, 0, "the target is empty");
      });
    }
  });

  it("online: applies changes through the transform, deleting the copy of an item the filter now skips", async function () {
    const file = writeModule("online-filter.js", filterModule);
    const { container: source } = await database.containers.create({
      id: "online-src",
      partitionKey: { paths: ["/tenantId"] },
      throughput: 20000,
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60)),
    });
    const { container: target } = await database.containers.create({
      id: "online-dst",
      partitionKey: { paths: ["/userId"] },
      throughput: 20000,
    });
    await seedTenants(source, 600);
    startSuiteWorker();
    await jobs.create(
      specOf("online", {
        mode: "Online",
        transform: { module: file, exportName: "keepActive" },
        options: { pageSize: 100 },
      }),
      { startWorker: false },
    );
    await until(
      () => jobs.get("online"),
      (job: JobRecord) => isTailing(job) || terminalStatuses.includes(job.status),
      "the first pass to end",
    );
    // item-1 passed the filter and was copied; moved to index 3 it is skipped now, so its copy must go.
    // item-3 was skipped; moved to index 4 it passes. item-4 is deleted; item-600 is new (skipped).
    await source.items.upsert({ ...tenantItem(1), index: 3 });
    await source.items.upsert({ ...tenantItem(3), index: 4 });
    await source.item("item-4", "tenant-4").delete();
    await source.items.create(tenantItem(600));
    await until(
      () => readAllItems(target),
      (items) => !items.has("item-1") && items.has("item-3") && !items.has("item-4"),
      "the changes to reach the target",
    );
    await jobs.complete("online", { startWorker: false });
    const job = await jobs.wait("online", { timeoutMs: 300_000, pollIntervalMs: 200 });
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(job.verification?.matched, true, JSON.stringify(job.verification));
    const counts = await assertTransformedItems(source, target, referenceTransform(file, "keepActive"));
    assert.equal(job.verification?.targetCount, counts.written);
    assert.equal(job.verification?.skippedCount, counts.skipped);
  });
});
