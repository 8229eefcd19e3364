import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { CopyJobs, stateDatabaseId, type AccountConnection } from "../engine";
import { ContainerCopyJob, type ContainerCopyJobArgs } from "../sdk";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  createPulumiTestEnvironment,
  type PulumiTestEnvironment,
} from "./support/pulumi-toolchain";
import { readAllItems, seedContainer } from "./support/seed";

/**
 * `ContainerCopyJob` deployed by a real Pulumi engine (the CLI built from Go modules) through the
 * Automation API, against cosmos-emulator over HTTPS. Every lifecycle step is checked against the job's
 * state in the account and the target's data.
 */
const projectName = "container-copy-job-test";
const execFileAsync = promisify(execFile);

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
    for (const id of ["orders-v2", "orders-v3", "orders-a", "orders-b"]) {
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
    const created = await LocalWorkspace.createOrSelectStack(
      { stackName, projectName, program: async () => program() },
      environment.workspaceOptions,
    );
    await created.setConfig("cosmosKey", { value: cosmos.key, secret: true });
    return created;
  }

  const onOutput = (line: string) => captured.push(line);

  /** `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets). */
  async function exportedState(stackName: string): Promise<string> {
    const { workDir, envVars } = environment.workspaceOptions;
    const { stdout } = await execFileAsync(
      path.join(environment.binDir, "pulumi"),
      ["stack", "export", "--stack", stackName],
      {
        cwd: workDir,
        env: { ...process.env, ...envVars },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  }

  /** Every file the file backend wrote: checkpoints, history and backups. */
  function backendFiles(): string[] {
    const root = new URL(environment.workspaceOptions.envVars.PULUMI_BACKEND_URL).pathname;
    return fs
      .readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8"));
  }

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

    const exported = await exportedState("copy");
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
});
