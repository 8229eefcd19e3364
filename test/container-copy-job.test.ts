import { ChangeFeedPolicy, ChangeFeedRetentionTimeSpan } from "@azure/cosmos";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { CopyJobs, stateDatabaseId, type AccountConnection } from "../engine";
import type { JobOutputs } from "../provider/inputs";
import { exampleProgram } from "../scripts/example-program";
import { ContainerCopyJob, containerCopyJobType, type ContainerCopyJobArgs } from "../sdk";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  backendFiles as backendFilesOf,
  createPulumiTestEnvironment,
  exportedState as exportedStateOf,
  stackRunningItsProgram,
  type PulumiTestEnvironment,
} from "./support/pulumi-toolchain";
import { assertSameItems } from "./support/same-items";
import { readAllItems, seedContainer } from "./support/seed";
import { SteadyWriter } from "./support/steady-writer";
import { until } from "./support/until";

/**
 * `ContainerCopyJob` deployed by a real Pulumi engine (the CLI built from Go modules) through the
 * Automation API, against cosmos-emulator over HTTPS. Every lifecycle step is checked against the job's
 * state in the account and the target's data.
 */
const projectName = "container-copy-job-test";
const onlineSeeded = 1000;

describe("ContainerCopyJob through a real Pulumi engine", function () {
  this.timeout(PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS);
  let cosmos: TestEndpoint;
  let connection: AccountConnection;
  let jobs: CopyJobs;
  let environment: PulumiTestEnvironment;
  const captured: string[] = [];

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // it drives cosmos-emulator's containers and workers directly
    environment = await createPulumiTestEnvironment();
    cosmos = await openEndpoint({ partitions: 2 });
    const certificate = (cosmos.clientOptions.agent as { options?: { ca?: string } }).options?.ca;
    connection = { endpoint: cosmos.endpoint, key: cosmos.key, caCertificate: certificate };
    jobs = CopyJobs.connect(connection);
    // Background workers started by the provider exit soon after the tests' jobs end.
    process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = "3000";
    const { database } = await cosmos.client.databases.create({ id: "shop" });
    const { container: orders } = await database.containers.create({
      id: "orders",
      partitionKey: { paths: ["/pk"] },
      throughput: 20000,
    });
    await seedContainer(orders, { count: 1500, partitionKeys: 60, itemBytes: 400 });
    // The source of the online copy, which needs its all-versions-and-deletes feed kept.
    const { container: events } = await database.containers.create({
      id: "events",
      partitionKey: { paths: ["/pk"] },
      throughput: 20000,
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60)),
    });
    await seedContainer(events, { count: onlineSeeded, partitionKeys: 60, itemBytes: 200 });
    await database.containers.create({
      id: "events-v2",
      partitionKey: { paths: ["/customerId"] },
      throughput: 20000,
    });
    for (const id of [
      "orders-v2",
      "orders-v3",
      "orders-a",
      "orders-b",
      "orders-u",
      "orders-t",
      "orders-r1",
      "orders-r2",
    ]) {
      await database.containers.create({ id, partitionKey: { paths: ["/category"] }, throughput: 20000 });
    }
  });

  after(async function () {
    jobs?.dispose();
    await cosmos?.client
      .database(stateDatabaseId)
      .delete()
      .catch(() => undefined);
    await cosmos?.stop();
    environment?.dispose();
  });

  function jobArgs(destination: string, extra: Partial<ContainerCopyJobArgs> = {}): ContainerCopyJobArgs {
    const config = new pulumi.Config();
    return {
      account: {
        endpoint: cosmos.endpoint,
        key: config.requireSecret("cosmosKey"),
        caCertificate: connection.caCertificate,
      },
      source: { database: "shop", container: "orders" },
      destination: { database: "shop", container: destination },
      ...extra,
    };
  }

  /** A resource's outputs as the stack's state holds them (stack outputs change only on `up`). */
  async function resourceOutputs(
    deployed: Stack,
    name: string,
  ): Promise<Record<string, unknown> | undefined> {
    const resources: { urn: string; outputs?: Record<string, unknown> }[] =
      (await deployed.exportStack()).deployment.resources ?? [];
    return resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs;
  }

  async function stack(stackName: string, program: () => Record<string, unknown>): Promise<Stack> {
    const created = await stackRunningItsProgram(
      { stackName, projectName, program: async () => program() },
      environment.workspaceOptions,
    );
    await created.setConfig("cosmosKey", { value: cosmos.key, secret: true });
    return created;
  }

  const onOutput = (line: string) => captured.push(line);

  const exportedState = (stackName: string) => exportedStateOf(environment, stackName);
  const backendFiles = () => backendFilesOf(environment);

  it("up copies every item and reports processedCount == source count", async function () {
    const deployed = await stack("copy", () => {
      const job = new ContainerCopyJob("orders-migration", jobArgs("orders-v2"));
      return {
        processed: job.processedCount,
        total: job.totalCount,
        status: job.status,
        verified: job.verification,
      };
    });
    const result = await deployed.up({ onOutput });
    assert.equal(result.outputs.processed.value, 1500);
    assert.equal(result.outputs.total.value, 1500);
    assert.equal(result.outputs.status.value, "Completed");
    const target = cosmos.client.database("shop").container("orders-v2");
    assert.equal((await readAllItems(target)).size, 1500);
    const job = await jobs.get("orders-migration");
    assert.equal(job.status, "Completed");

    const exported = exportedState("copy");
    assert.ok(exported.includes("orders-migration"));
    assert.ok(!exported.includes(cosmos.key), "`pulumi stack export` holds no plaintext key");
    assert.ok(!backendFiles().some((text) => text.includes(cosmos.key)), "no state file holds the key");

    const refreshed = await deployed.refresh({ onOutput });
    assert.equal(refreshed.summary.result, "succeeded");

    await deployed.destroy({ onOutput });
    assert.equal(await jobs.find("orders-migration"), undefined, "destroy removes the job record");
    assert.equal((await readAllItems(target)).size, 1500, "destroy never deletes data");
    assert.ok(!captured.join("\n").includes(cosmos.key), "no engine output holds the key");
  });

  it("preview fails on a misspelt target with 'Owner resource does not exist' and creates nothing", async function () {
    const before = (await jobs.list()).map((j) => j.name);
    const previewed = await stack("typo", () => {
      new ContainerCopyJob("typo-migration", jobArgs("orders-v2-typo"));
      return {};
    });
    await assert.rejects(previewed.preview({ onOutput }), (error: Error) => {
      assert.match(error.message, /Owner resource does not exist/);
      assert.match(error.message, /orders-v2-typo/);
      assert.match(error.message, /Create the target container first/);
      return true;
    });
    assert.deepEqual(
      (await jobs.list()).map((j) => j.name),
      before,
      "no job record created",
    );
  });

  it("preview plans the copy: items, size, estimated RU and time, for the demo program and for an existing target", async function () {
    const demo = await stackRunningItsProgram(
      { stackName: "demo-preview", projectName, program: exampleProgram("local") },
      environment.workspaceOptions,
    );
    await demo.setAllConfig({
      endpoint: { value: cosmos.endpoint },
      key: { value: cosmos.key, secret: true },
      caCertificate: { value: connection.caCertificate ?? "" },
    });
    let output = "";
    await demo.preview({ onOutput: (text) => ((output += text), onOutput(text)) });
    // The demo creates its target in the same deployment: preview plans the source side.
    assert.match(
      output,
      /orders-migration\):\s+plan: orders-migration: shop\/orders → a target this deployment creates, 1,500 items, [\d.]+ KB \(the service's figure\); ~[\d,]+ RU \(estimate\); ~[\d.]+ s at 1,000 RU\/s, less with more \(estimate/,
    );

    const existing = await stack("plan-preview", () => ({
      status: new ContainerCopyJob("planned", jobArgs("orders-v3")).status,
    }));
    output = "";
    await existing.preview({ onOutput: (text) => ((output += text), onOutput(text)) });
    assert.match(
      output,
      /planned\):\s+plan: planned: shop\/orders → shop\/orders-v3, 1,500 items, .*; ~[\d,]+ RU \(estimate\); ~[\d.]+ s at 20,000 RU\/s \(estimate\)/,
    );
    assert.equal(await jobs.find("planned"), undefined, "preview created no job");
    assert.equal(await jobs.find("orders-migration"), undefined, "preview created no job");
  });

  it("refresh shows a job cancelled outside Pulumi, and drops one whose record was deleted", async function () {
    const deployed = await stack("drift", () => {
      const job = new ContainerCopyJob("drifting", jobArgs("orders-v3", { paused: true }));
      return { status: job.status };
    });
    const up = await deployed.up({ onOutput });
    assert.equal(up.outputs.status.value, "Paused");
    await jobs.cancel("drifting");
    await deployed.refresh({ onOutput });
    assert.equal((await resourceOutputs(deployed, "drifting"))?.status, "Cancelled");
    await jobs.delete("drifting");
    await deployed.refresh({ onOutput });
    assert.equal(await resourceOutputs(deployed, "drifting"), undefined, "the deleted job left the stack");
    await deployed.destroy({ onOutput });
  });

  it("adopts an existing job by name (Pulumi's `import` option does not reach dynamic providers)", async function () {
    await jobs.create(
      {
        name: "adopted",
        source: { database: "shop", container: "orders" },
        destination: { database: "shop", container: "orders-v3" },
      },
      { startWorker: false },
    );
    await jobs.pause("adopted");
    const deployed = await stack("adopt", () => {
      const job = new ContainerCopyJob("adopted", jobArgs("orders-v3", { paused: true }));
      return { status: job.status, createdAt: job.createdAt };
    });
    const up = await deployed.up({ onOutput });
    assert.equal(up.outputs.status.value, "Paused");
    assert.equal(
      up.outputs.createdAt.value,
      (await jobs.get("adopted")).createdAt,
      "the existing job, not a new one",
    );
    await deployed.destroy({ onOutput });
    assert.equal(await jobs.find("adopted"), undefined);
  });

  /** The state of a stack deployed by version 0.1: the job under the shared dynamic type, in the flat bag. */
  async function asDeployedByVersion01(deployed: Stack, name: string): Promise<void> {
    const state = await deployed.exportStack();
    const resources: { urn: string; type: string; inputs: JobOutputs; outputs: JobOutputs }[] =
      state.deployment.resources;
    const resource = resources.find((r) => r.urn.endsWith(`::${name}`))!;
    const flat = (bag: JobOutputs) => {
      const { account, source, destination, ...rest } = bag;
      delete rest.resourceUrn; // an input 0.1 did not have
      return {
        ...rest,
        accountEndpoint: account.endpoint,
        authentication: account.authentication,
        caCertificate: account.caCertificate,
        insecureTls: account.insecureTls,
        sourceDatabase: source.database,
        sourceContainer: source.container,
        destinationDatabase: destination.database,
        destinationContainer: destination.container,
      };
    };
    resource.urn = resource.urn.replace(containerCopyJobType, "pulumi-nodejs:dynamic:Resource");
    resource.type = "pulumi-nodejs:dynamic:Resource";
    resource.inputs = flat(resource.inputs) as unknown as JobOutputs;
    resource.outputs = flat(resource.outputs) as unknown as JobOutputs;
    await deployed.importStack(state);
  }

  it("a stack deployed with the old type token moves to the named type by an update in place: same job, no recopy", async function () {
    const program = () => ({ status: new ContainerCopyJob("upgraded", jobArgs("orders-u")).status });
    const deployed = await stack("upgrade", program);
    await deployed.up({ onOutput });
    const job = await jobs.get("upgraded");
    await asDeployedByVersion01(deployed, "upgraded");
    assert.ok(JSON.stringify(await deployed.exportStack()).includes('"pulumi-nodejs:dynamic:Resource"'));

    const upgraded = await deployed.up({ onOutput });
    assert.deepEqual(upgraded.summary.resourceChanges, { same: 1, update: 1 });
    const after = await jobs.get("upgraded");
    assert.equal(after.createdAt, job.createdAt, "the same job record");
    assert.equal(after.completedAt, job.completedAt, "not run again");
    const state = JSON.stringify(await deployed.exportStack());
    assert.ok(!state.includes('"pulumi-nodejs:dynamic:Resource"'), "the old token is gone");
    assert.equal((await resourceOutputs(deployed, "upgraded"))?.status, "Completed");
    assert.deepEqual((await resourceOutputs(deployed, "upgraded"))?.destination, {
      database: "shop",
      container: "orders-u",
    });
    await deployed.destroy({ onOutput });
  });

  it("a changed RU cap and page size reach the running job in place, which shows its progress and ends exact", async function () {
    const lines: string[] = [];
    let limit = 400;
    const deployed = await stack("tuning", () => {
      const job = new ContainerCopyJob(
        "tuned",
        jobArgs("orders-t", {
          waitForCompletion: limit > 400,
          targetThroughputLimit: { requestUnitsPerSecond: limit },
          pageSize: limit > 400 ? 200 : 50,
        }),
      );
      return { status: job.status, processed: job.processedCount };
    });
    // At 400 RU/s the 1,500 items take ~20 s: the job is still running when the next `up` changes it.
    const started = await deployed.up({ onOutput });
    assert.match(String(started.outputs.status.value), /Pending|Running/);
    const created = await jobs.get("tuned");

    limit = 20000;
    const tuned = await deployed.up({ onOutput: (text) => (lines.push(text), onOutput(text)) });
    assert.deepEqual(tuned.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(tuned.outputs.status.value, "Completed");
    assert.equal(tuned.outputs.processed.value, 1500);
    const job = await jobs.get("tuned");
    assert.equal(job.createdAt, created.createdAt, "the same job, updated in place");
    assert.deepEqual(job.options.targetThroughputLimit, { requestUnitsPerSecond: 20000 });
    assert.equal(job.options.pageSize, 200);
    assert.equal(job.verification?.matched, true);
    assert.equal((await readAllItems(cosmos.client.database("shop").container("orders-t"))).size, 1500);
    assert.match(lines.join(""), /tuned .*(Running|Completed) \d+\/1500 items \(\d+%\), \d+ items\/s, ETA/);
    await deployed.destroy({ onOutput });
  });

  it("a changed destination replaces the job: the old record goes, the new copy runs, no data is deleted", async function () {
    let destination = "orders-r1";
    const deployed = await stack("replace", () => ({
      status: new ContainerCopyJob("moved", jobArgs(destination)).status,
    }));
    await deployed.up({ onOutput });
    const first = await jobs.get("moved");
    destination = "orders-r2";
    const replaced = await deployed.up({ onOutput });
    assert.deepEqual(replaced.summary.resourceChanges, { same: 1, replace: 1 });
    const second = await jobs.get("moved");
    assert.notEqual(second.createdAt, first.createdAt, "a new job under the same name");
    assert.equal(second.destination.container, "orders-r2");
    assert.equal(second.status, "Completed");
    const database = cosmos.client.database("shop");
    assert.equal((await readAllItems(database.container("orders-r2"))).size, 1500);
    assert.equal(
      (await readAllItems(database.container("orders-r1"))).size,
      1500,
      "the old target keeps its data",
    );
    await deployed.destroy({ onOutput });
  });

  it("a job failed by its target's deletion stays in the stack, and the next up after the target is created again resumes it to an exact copy", async function () {
    const database = cosmos.client.database("shop");
    const createTarget = async () =>
      (
        await database.containers.create({
          id: "orders-f",
          partitionKey: { paths: ["/category"] },
          throughput: 20000,
        })
      ).container;
    const target = await createTarget();
    const deployed = await stack("failing", () => {
      // Capped at 1,000 RU/s (~10 s for the 1,500 items), so the target can be deleted under the copy.
      const job = new ContainerCopyJob(
        "fragile",
        jobArgs("orders-f", { pageSize: 20, targetThroughputLimit: { requestUnitsPerSecond: 1000 } }),
      );
      return { status: job.status, processed: job.processedCount };
    });
    const firstUp = deployed.up({ onOutput });
    const running = await until(
      () => jobs.find("fragile"),
      (job) => (job?.processedCount ?? 0) > 100,
      "the copy under way",
    );
    await target.delete();
    await assert.rejects(firstUp, (error: Error) => {
      assert.match(error.message, /Copy job 'fragile' ended Failed: .*Owner resource does not exist/);
      assert.match(error.message, /run `pulumi up` again to resume it/);
      return true;
    });
    const kept = await resourceOutputs(deployed, "fragile");
    assert.equal(kept?.status, "Failed", "the failed job stays in the stack, with its status");

    const recreated = await createTarget();
    const resumed = await deployed.up({ onOutput });
    assert.deepEqual(resumed.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(resumed.outputs.status.value, "Completed");
    assert.equal(resumed.outputs.processed.value, 1500);
    const job = await jobs.get("fragile");
    assert.equal(job.createdAt, running!.createdAt, "the same job, resumed");
    assert.equal(job.verification?.matched, true);
    const [sourceItems, targetItems] = await Promise.all([
      readAllItems(database.container("orders")),
      readAllItems(recreated),
    ]);
    assert.equal(targetItems.size, sourceItems.size);
    for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);
    await deployed.destroy({ onOutput });
  });

  it("two stacks deploying jobs on one account at once run one after the other, and both complete", async function () {
    const [a, b] = await Promise.all([
      stack("parallel-a", () => ({
        processed: new ContainerCopyJob("job-a", jobArgs("orders-a")).processedCount,
      })),
      stack("parallel-b", () => ({
        processed: new ContainerCopyJob("job-b", jobArgs("orders-b")).processedCount,
      })),
    ]);
    const [upA, upB] = await Promise.all([a.up({ onOutput }), b.up({ onOutput })]);
    assert.equal(upA.outputs.processed.value, 1500);
    assert.equal(upB.outputs.processed.value, 1500);
    const [jobA, jobB] = await Promise.all([jobs.get("job-a"), jobs.get("job-b")]);
    const [first, second] =
      Date.parse(jobA.startedAt!) < Date.parse(jobB.startedAt!) ? [jobA, jobB] : [jobB, jobA];
    assert.ok(Date.parse(first.completedAt!) <= Date.parse(second.startedAt!), "the jobs did not overlap");
    await Promise.all([a.destroy({ onOutput }), b.destroy({ onOutput })]);
    assert.ok(!captured.join("\n").includes(cosmos.key));
  });
  // Last: an online job holds the account's job slot while it tails, and the other tests' jobs would wait.
  it("an online job: up returns once it tails the writes, refresh shows its lag, completed: true cuts it over exact, destroy removes it", async function () {
    const database = cosmos.client.database("shop");
    const events = database.container("events");
    let completed = false;
    const deployed = await stack("online", () => {
      const job = new ContainerCopyJob(
        "online-copy",
        jobArgs("events-v2", {
          source: { database: "shop", container: "events" },
          mode: "Online",
          completed,
          pageSize: 200,
        }),
      );
      return { status: job.status, mode: job.mode, phase: job.phase };
    });
    const live = Array.from({ length: onlineSeeded }, (_, index) => ({
      id: `item-${index}`,
      pk: `customer-${index % 60}`,
    }));
    const writer = new SteadyWriter(events, live, 100);
    writer.start();
    const lines: string[] = [];
    const up = await deployed.up({ onOutput: (text) => (lines.push(text), onOutput(text)) });
    assert.deepEqual(
      [up.outputs.status.value, up.outputs.mode.value, up.outputs.phase.value],
      ["Running", "Online", "Tailing"],
    );
    assert.match(
      lines.join(""),
      /online-copy .*Running \d+\/\d+ items \(\d+%\), Tailing, \d+ changes applied/,
    );

    // The writer goes on while the job tails, and its changes reach the target.
    const tailing = (await jobs.get("online-copy")).online?.appliedChanges ?? 0;
    await until(
      () => jobs.get("online-copy"),
      (job) => (job.online?.appliedChanges ?? 0) >= tailing + 100 && job.online?.lag !== undefined,
      "100 changes applied while tailing",
    );
    const counts = await writer.stop();
    await deployed.refresh({ onOutput });
    const refreshed = await resourceOutputs(deployed, "online-copy");
    assert.equal(refreshed?.status, "Running");
    assert.equal(refreshed?.phase, "Tailing");
    assert.ok((refreshed?.appliedChanges as number) >= tailing + 100, JSON.stringify(refreshed));
    assert.ok(Number.isInteger(refreshed?.lagChanges) && (refreshed?.lagSeconds as number) >= 0);

    completed = true;
    const cutover = await deployed.up({ onOutput });
    assert.deepEqual(cutover.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(cutover.outputs.status.value, "Completed");
    const job = await jobs.get("online-copy");
    assert.equal(job.verification?.matched, true);
    const total = await assertSameItems(events, database.container("events-v2"), counts.deletedIds);
    assert.equal(total, onlineSeeded + counts.created - counts.deleted);

    await deployed.destroy({ onOutput });
    assert.equal(await jobs.find("online-copy"), undefined, "destroy removes the job record");
    assert.ok(!captured.join("\n").includes(cosmos.key));
  });
});
