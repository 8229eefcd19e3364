import type { Container } from "@azure/cosmos";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CopyJobs, CopyWorker, stateDatabaseId, type AccountConnection, type JobSpec } from "../engine";
import { CosmosStateStore } from "../engine/state-store";
import { workerLogDirectory } from "../engine/worker-process";
import { ContainerCopyJob } from "../sdk";
import { runCli, stopBackgroundWorkers } from "./support/cli-process";
import { openEndpoint, tempDir, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { connectionOf } from "./support/engine-suite";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  backendFiles,
  createPulumiTestEnvironment,
  exportedState,
  stackRunningItsProgram,
  type PulumiTestEnvironment,
} from "./support/pulumi-toolchain";
import { assertSameItems } from "./support/same-items";
import { seedContainer } from "./support/seed";

/**
 * Cross-account copy: the source container in one account (A), the target and the job in another (B), each
 * a cosmos-emulator of its own with its own key and certificate; through the engine's API (in-process
 * workers connected to B: the ones given A's connection run the job, the others must not), the CLI and a
 * real Pulumi engine (background workers started with A's key in their environment). A's key is random,
 * and nothing printed, logged or stored may hold it.
 */
const sourceItems = 3000;

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

describe("cross-account copy", function () {
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
    if (accountB) await stopBackgroundWorkers(accountB.client);
    await accountA?.stop();
    await accountB?.stop();
  });

  describe("engine", function () {
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
      assert.deepEqual(
        Object.keys(job.processedByWorker),
        ["reads-a"],
        "only the worker that reads A ran it",
      );
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
          assert.match(
            error.message,
            /Owner resource does not exist: the source container 'shop\/only-in-b'/,
          );
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
      await assert.rejects(
        jobs.resume("no-reader"),
        /SourceAccountRequired|needs that account's credentials/,
      );
      await assert.rejects(
        jobs.resume("no-reader", { sourceAccount: connectionOf(accountB) }),
        (error: Error & { code?: string }) => error.code === "SourceAccountMismatch",
      );
      assert.equal((await jobs.get("no-reader")).status, "Pending", "the refusals changed nothing");
      await jobs.delete("no-reader");
    });
  });

  /** The emulators' certificates, as files for --ca-file and --src-ca-file. */
  function certificateFiles(): { a: string; b: string } {
    const directory = tempDir("cross-account-ca");
    const write = (name: string, pem: string | undefined) => {
      const file = path.join(directory, name);
      fs.writeFileSync(file, pem ?? "");
      return file;
    };
    return {
      a: write("a.pem", source.caCertificate),
      b: write("b.pem", connectionOf(accountB).caCertificate),
    };
  }

  /** Worker logs written since `since`: none may hold A's key. */
  function workerLogs(since: number): string[] {
    const directory = workerLogDirectory();
    if (!fs.existsSync(directory)) return [];
    return fs
      .readdirSync(directory)
      .map((name) => path.join(directory, name))
      .filter((file) => fs.statSync(file).mtimeMs >= since)
      .map((file) => fs.readFileSync(file, "latin1"));
  }

  describe("CLI", function () {
    const printed: string[] = [];
    const startedAt = Date.now();
    let env: NodeJS.ProcessEnv;
    let ca: { a: string; b: string };

    before(async function () {
      ca = certificateFiles();
      env = {
        ...process.env,
        COSMOS_ENDPOINT: accountB.endpoint,
        COSMOS_KEY: accountB.key,
        COSMOS_SOURCE_KEY: sourceKey,
        // The background workers `create` starts exit soon after the job ends.
        COSMOS_COPY_IDLE_TIMEOUT_MS: "2000",
      };
      await accountB.client
        .database("shop")
        .containers.create({ id: "cli-orders", partitionKey: { paths: ["/category"] }, throughput: 20000 });
    });

    const cli = (args: string[]) => runCli(["--ca-file", ca.b, ...args], env, printed);

    it("create --src-endpoint --wait copies from A into B; show and list read the job from B", async function () {
      const created = await cli([
        "create",
        "--job-name",
        "cli-a-to-b",
        "--src-endpoint",
        accountA.endpoint,
        "--src-ca-file",
        ca.a,
        "--src-nosql",
        "database=shop",
        "container=orders",
        "--dest-nosql",
        "database=shop",
        "container=cli-orders",
        "--wait",
        "--output",
        "json",
      ]);
      assert.equal(created.code, 0, created.stderr);
      const job = JSON.parse(created.stdout) as { properties: Record<string, unknown> };
      assert.equal(job.properties.status, "Completed");
      assert.equal(job.properties.processedCount, sourceItems);
      const host = new URL(accountA.endpoint).host;
      assert.deepEqual(job.properties.source, {
        component: "CosmosDBSql",
        databaseName: "shop",
        containerName: "orders",
        remoteAccountName: host,
        remoteAccountEndpoint: new URL(accountA.endpoint).toString(),
      });
      const target = accountB.client.database("shop").container("cli-orders");
      assert.equal(await assertSameItems(orders, target), sourceItems);

      const shown = await cli(["show", "--job-name", "cli-a-to-b", "--output", "json"]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal((JSON.parse(shown.stdout) as typeof job).properties.status, "Completed");
      const listed = await cli(["list", "--output", "tsv"]);
      const line = listed.stdout.split("\n").find((row) => row.startsWith("cli-a-to-b\t"));
      assert.ok(line?.includes(`\tshop/orders@${host}\tshop/cli-orders\t`), listed.stdout);

      assert.ok(!printed.join("\n").includes(sourceKey), "nothing printed holds A's key");
      assert.ok(!workerLogs(startedAt).some((log) => log.includes(sourceKey)), "no worker log holds A's key");
    });

    it("refuses --src-key, and source flags without --src-endpoint, before reaching anything", async function () {
      const job = ["--job-name", "refused", "--src-nosql", "database=shop", "container=orders"];
      const dest = ["--dest-nosql", "database=shop", "container=cli-orders"];
      const typedKey = randomBytes(16).toString("hex");
      const keyed = await cli([
        "create",
        ...job,
        ...dest,
        "--src-endpoint",
        accountA.endpoint,
        "--src-key",
        typedKey,
      ]);
      assert.equal(keyed.code, 2);
      assert.match(keyed.stderr, /--src-key is refused: a key on the command line is visible/);
      assert.ok(!keyed.stderr.includes(typedKey), "the refusal does not echo the key");
      const stray = await cli(["create", ...job, ...dest, "--src-key-file", ca.a]);
      assert.equal(stray.code, 2);
      assert.match(stray.stderr, /--src-key-file need --src-endpoint <url>/);
      assert.equal(await jobs.find("refused"), undefined);
    });
  });

  describe("Pulumi", function () {
    this.timeout(PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS);
    let environment: PulumiTestEnvironment;
    const captured: string[] = [];

    before(async function () {
      environment = await createPulumiTestEnvironment();
      // Background workers started by the provider exit soon after the job ends.
      process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = "3000";
      await accountB.client.database("shop").containers.create({
        id: "pulumi-orders",
        partitionKey: { paths: ["/category"] },
        throughput: 20000,
      });
    });

    after(function () {
      environment?.dispose();
    });

    it("pulumi up copies from A into B with sourceAccount, its key a secret in the state", async function () {
      const b = connectionOf(accountB);
      const deployed = await stackRunningItsProgram(
        {
          stackName: "cross-account",
          projectName: "cross-account-test",
          program: async () => {
            const config = new pulumi.Config();
            const job = new ContainerCopyJob("pulumi-a-to-b", {
              account: {
                endpoint: b.endpoint,
                key: config.requireSecret("cosmosKey"),
                caCertificate: b.caCertificate,
              },
              sourceAccount: {
                endpoint: accountA.endpoint,
                key: config.requireSecret("sourceKey"),
                caCertificate: source.caCertificate,
              },
              source: { database: "shop", container: "orders" },
              destination: { database: "shop", container: "pulumi-orders" },
            });
            return { status: job.status, processed: job.processedCount };
          },
        },
        environment.workspaceOptions,
      );
      await deployed.setConfig("cosmosKey", { value: accountB.key, secret: true });
      await deployed.setConfig("sourceKey", { value: sourceKey, secret: true });
      const onOutput = (line: string) => captured.push(line);

      const result = await deployed.up({ onOutput });
      assert.equal(result.outputs.status.value, "Completed");
      assert.equal(result.outputs.processed.value, sourceItems);
      const job = await jobs.get("pulumi-a-to-b");
      assert.deepEqual(job.sourceAccount, { endpoint: new URL(accountA.endpoint).toString() });
      const target = accountB.client.database("shop").container("pulumi-orders");
      assert.equal(await assertSameItems(orders, target), sourceItems);

      const exported = exportedState(environment, "cross-account");
      assert.ok(exported.includes("sourceAccountKey"), "the state keeps the source key, as a secret");
      assert.ok(!exported.includes(sourceKey), "`pulumi stack export` holds no plaintext source key");
      assert.ok(
        !backendFiles(environment).some((text) => text.includes(sourceKey)),
        "no state file holds it",
      );

      await deployed.destroy({ onOutput });
      assert.equal(await jobs.find("pulumi-a-to-b"), undefined, "destroy removes the job record");
      assert.ok(!captured.join("\n").includes(sourceKey), "no engine output holds A's key");
    });
  });
});
