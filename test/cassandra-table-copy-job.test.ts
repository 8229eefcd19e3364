import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import type { Client } from "cassandra-driver";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CassandraCopyJobs } from "../engine";
import { workerLogDirectory } from "../engine/worker-process";
import { checkCassandraJob } from "../provider/cassandra-check";
import type { CassandraJobInputs } from "../provider/cassandra-inputs";
import { exampleProgram } from "../scripts/example-program";
import { CassandraTableCopyJob, cassandraTableCopyJobType, type CassandraTableCopyJobArgs } from "../sdk";
import { openCassandra, uniqueKeyspace, type TestCassandra } from "./support/cassandra-node";
import { createKeyspace, createTable, rekeyedKey, seedRows } from "./support/cassandra-tables";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  backendFiles as backendFilesOf,
  createPulumiTestEnvironment,
  exportedState as exportedStateOf,
  stackRunningItsProgram,
  type PulumiTestEnvironment,
} from "./support/pulumi-toolchain";

/**
 * `CassandraTableCopyJob` deployed by a real Pulumi engine (the CLI built from Go modules) through the
 * Automation API, against a real Cassandra node: the local example copies a few thousand rows of the
 * fixture table into a table keyed otherwise; every lifecycle step is checked against the job's record in
 * the cluster and both tables' rows. The cluster's password must never be written out in plaintext.
 */
const projectName = "cassandra-table-copy-job-test";
const rowCount = 3000;
/** Pulumi's marker of a secret value in a state file. */
const secretSignature = "4dabf18193072939515e22adb298388d";

describe("CassandraTableCopyJob through a real Pulumi engine (real node)", function () {
  this.timeout(PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS);
  const startedAt = Date.now();
  const keyspace = uniqueKeyspace("pulumi_copy");
  let node: TestCassandra;
  let client: Client;
  let jobs: CassandraCopyJobs;
  let environment: PulumiTestEnvironment;
  let username: string;
  let password: string;
  const captured: string[] = [];
  const onOutput = (line: string) => captured.push(line);
  /** Job names are the cluster's, which other suites share: each starts with this suite's keyspace. */
  const jobName = (name: string) => `${keyspace}-${name}`;
  const countOf = async (table: string) =>
    Number((await client.execute(`SELECT COUNT(*) FROM ${keyspace}.${table}`)).first().get(0));

  before(async function () {
    environment = await createPulumiTestEnvironment();
    node = await openCassandra();
    client = node.client;
    // The project's node accepts any credentials (AllowAllAuthenticator): a password of this run's own
    // stands for a real one, to be looked for wherever it must not be.
    username = node.connection.username ?? "cassandra";
    password = node.connection.password ?? `pw-${randomBytes(16).toString("hex")}`;
    await createKeyspace(client, keyspace);
    await createTable(client, keyspace, "source");
    await seedRows(client, keyspace, "source", rowCount);
    jobs = CassandraCopyJobs.connect(node.connection);
    // Background workers started by the provider exit soon after the jobs end.
    process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = "3000";
  });

  after(async function () {
    for (const job of (await jobs?.list().catch(() => [])) ?? []) {
      if (job.name.startsWith(keyspace)) await jobs.delete(job.name);
    }
    jobs?.dispose();
    await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await node?.stop();
    environment?.dispose();
  });

  function jobArgs(
    destination: string,
    extra: Partial<CassandraTableCopyJobArgs> = {},
  ): CassandraTableCopyJobArgs {
    const config = new pulumi.Config();
    return {
      cluster: {
        contactPoints: node.connection.contactPoints,
        localDataCenter: node.connection.localDataCenter,
        username,
        password: config.requireSecret("password"),
      },
      source: { keyspace, table: "source" },
      destination: { keyspace, table: destination },
      ...extra,
    };
  }

  async function stack(stackName: string, program: () => Record<string, unknown>): Promise<Stack> {
    const created = await stackRunningItsProgram(
      { stackName, projectName, program: async () => program() },
      environment.workspaceOptions,
    );
    await created.setConfig("password", { value: password, secret: true });
    return created;
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

  /** What `pulumi preview` said, and why it failed. */
  async function failedPreview(deployed: Stack): Promise<string> {
    let output = "";
    const error = await deployed.preview({ onOutput: (text) => ((output += text), onOutput(text)) }).then(
      () => assert.fail("the preview succeeded"),
      (failure: Error) => failure,
    );
    return `${output}\n${error.message}`.replace(/\s+/g, " ");
  }

  it("preview of a job whose destination table is missing fails on 'destination' with 'Owner resource does not exist', naming the table, and creates nothing", async function () {
    const previewed = await stack("missing-table", () => {
      new CassandraTableCopyJob("missing", jobArgs("no_such_table", { jobName: jobName("missing") }));
      return {};
    });
    const text = await failedPreview(previewed);
    assert.match(text, /'missing': property destination value/);
    assert.match(
      text,
      /Owner resource does not exist: the destination table '[a-z0-9_]+\.no_such_table' was not found/,
    );
    assert.ok(text.includes(`${keyspace}.no_such_table`), text);
    assert.match(text, /Create the target table first/);
    assert.equal(await jobs.find(jobName("missing")), undefined, "no job record created");
  });

  it("preview of a job into a table that lacks the source's columns fails on 'destination', naming them and the fix", async function () {
    await client.execute(`CREATE TABLE ${keyspace}.narrow (seq bigint PRIMARY KEY, tenant text, ratio int)`);
    const previewed = await stack("narrow-table", () => {
      new CassandraTableCopyJob("narrow", jobArgs("narrow", { jobName: jobName("narrow") }));
      return {};
    });
    const text = await failedPreview(previewed);
    assert.match(text, /'narrow': property destination value/);
    assert.match(text, /The destination table '[a-z0-9_]+\.narrow' cannot take the rows of the source table/);
    assert.match(text, /it lacks the source's columns .*'region' \(int\)/);
    assert.match(text, /column 'ratio' is double in the source but int in the destination/);
    assert.match(text, /Add the missing columns \(ALTER TABLE/);
    assert.equal(await jobs.find(jobName("narrow")), undefined, "no job record created");
  });

  it("check with the destination not known yet (created by the same deployment) checks the source side and the name", async function () {
    const pending: CassandraJobInputs = {
      api: "Cassandra",
      cluster: { contactPoints: node.connection.contactPoints, username },
      clusterPassword: password,
      source: { keyspace, table: "source" },
      destination: { keyspace, table: pulumi.runtime.unknownValue },
      jobName: jobName("pending"),
    };
    assert.deepEqual((await checkCassandraJob({}, pending)).failures, []);

    const misspelt = await checkCassandraJob({}, { ...pending, source: { keyspace, table: "sourse" } });
    assert.equal(misspelt.failures?.length, 1, JSON.stringify(misspelt.failures));
    assert.equal(misspelt.failures?.[0].property, "source");
    assert.match(
      misspelt.failures?.[0].reason ?? "",
      /Owner resource does not exist: the source table '.*\.sourse'/,
    );

    await createTable(client, keyspace, "taken_target", rekeyedKey);
    await jobs.create(
      {
        name: jobName("taken"),
        source: { keyspace, table: "source" },
        destination: { keyspace, table: "taken_target" },
      },
      { startWorker: false },
    );
    const taken = await checkCassandraJob({}, { ...pending, jobName: jobName("taken") });
    assert.equal(taken.failures?.[0]?.property, "jobName", JSON.stringify(taken.failures));
    assert.match(taken.failures?.[0].reason ?? "", /A job named '.*-taken' already exists/);
    await jobs.delete(jobName("taken"));
  });

  it("check puts a cluster that cannot be used on 'cluster', in the resource's terms", async function () {
    const wrongDataCenter = await checkCassandraJob(
      {},
      {
        api: "Cassandra",
        cluster: { contactPoints: node.connection.contactPoints, localDataCenter: "nowhere" },
        source: { keyspace, table: "source" },
        destination: { keyspace, table: "narrow" },
        jobName: jobName("nowhere"),
      },
    );
    assert.equal(wrongDataCenter.failures?.length, 1, JSON.stringify(wrongDataCenter.failures));
    assert.equal(wrongDataCenter.failures?.[0].property, "cluster");
    assert.match(wrongDataCenter.failures?.[0].reason ?? "", /has no data center 'nowhere'/);
    assert.match(wrongDataCenter.failures?.[0].reason ?? "", /Set cluster\.localDataCenter to one of/);
  });

  it("the local example: preview checks the source side, up copies every row into a table keyed otherwise, refresh reads the job as it is, destroy removes its record and no row", async function () {
    const deployed = await stackRunningItsProgram(
      { stackName: "example", projectName, program: exampleProgram("local-cassandra") },
      environment.workspaceOptions,
    );
    await deployed.setAllConfig({
      contactPoints: { value: node.connection.contactPoints.join(",") },
      localDataCenter: { value: node.connection.localDataCenter },
      username: { value: username },
      password: { value: password, secret: true },
      keyspace: { value: keyspace },
      sourceTable: { value: "source" },
      targetTable: { value: "rekeyed" },
      partitionKey: { value: "seq" },
      clusteringColumns: { value: "tenant,region,day" },
      jobName: { value: jobName("rekey") },
    });
    // The table is created by the same deployment: preview checks what it can without it.
    const previewed = await deployed.preview({ onOutput });
    assert.equal(previewed.changeSummary.create, 3, JSON.stringify(previewed.changeSummary));
    assert.equal(await jobs.find(jobName("rekey")), undefined, "preview created no job");

    const lines: string[] = [];
    const up = await deployed.up({ onOutput: (text) => (lines.push(text), onOutput(text)) });
    assert.equal(up.outputs.status.value, "Completed");
    assert.equal(up.outputs.copied.value, rowCount);
    assert.equal(up.outputs.total.value, rowCount);
    const verification = up.outputs.verification.value as {
      mode: string;
      matched: boolean;
      targetCount: number;
    };
    assert.deepEqual(
      [verification.mode, verification.matched, verification.targetCount],
      ["full", true, rowCount],
    );
    assert.match(
      lines.join("").replace(/\s+/g, " "),
      new RegExp(`orders-rekey\\): Completed ${rowCount}/${rowCount}`),
    );
    assert.equal(await countOf("rekeyed"), rowCount);
    const job = await jobs.get(jobName("rekey"));
    assert.equal(job.status, "Completed");
    assert.equal(job.api, "Cassandra");
    assert.deepEqual(job.destination, { database: keyspace, container: "rekeyed" });
    assert.match(job.owner ?? "", new RegExp(`${cassandraTableCopyJobType}::orders-rekey$`));

    const refreshed = await deployed.refresh({ onOutput });
    assert.equal(refreshed.summary.result, "succeeded");
    const state = await resourceOutputs(deployed, "orders-rekey");
    assert.equal(state?.status, "Completed");
    assert.equal(state?.processedCount, rowCount);
    assert.equal(state?.totalCount, rowCount);
    assert.equal(state?.createdAt, job.createdAt, "the same job, read again");
    assert.deepEqual(state?.destination, { keyspace, table: "rekeyed" });

    // The password is a secret in the state, and nowhere in plaintext.
    const exported = exportedStateOf(environment, "example");
    const resource = (
      JSON.parse(exported) as {
        deployment: {
          resources: { type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[];
        };
      }
    ).deployment.resources.find((r) => r.type === cassandraTableCopyJobType);
    for (const bag of [resource?.inputs, resource?.outputs]) {
      const stored = bag?.clusterPassword as Record<string, unknown> | undefined;
      assert.ok(stored?.[secretSignature] && typeof stored.ciphertext === "string", JSON.stringify(stored));
    }
    assert.ok(!exported.includes(password), "`pulumi stack export` holds no plaintext password");
    assert.ok(!JSON.stringify(up.outputs).includes(password), "no stack output holds the password");
    assert.ok(!backendFilesOf(environment).some((text) => text.includes(password)), "no state file holds it");

    await deployed.destroy({ onOutput });
    assert.equal(await jobs.find(jobName("rekey")), undefined, "destroy removes the job record");
    assert.equal(await countOf("source"), rowCount, "destroy leaves the source's rows");
    assert.equal(await countOf("rekeyed"), rowCount, "destroy leaves the copy's rows");
  });

  it("a changed page size reaches a paused job in place; refresh shows it cancelled outside Pulumi, then drops it once its record is deleted", async function () {
    await createTable(client, keyspace, "paused_target", rekeyedKey);
    let pageSize = 100;
    const deployed = await stack("paused", () => {
      const job = new CassandraTableCopyJob(
        "held",
        jobArgs("paused_target", { jobName: jobName("held"), paused: true, options: { pageSize } }),
      );
      return { status: job.status };
    });
    const up = await deployed.up({ onOutput });
    assert.equal(up.outputs.status.value, "Paused");
    const created = await jobs.get(jobName("held"));
    assert.equal(created.options.pageSize, 100);

    pageSize = 200;
    const tuned = await deployed.up({ onOutput });
    assert.deepEqual(tuned.summary.resourceChanges, { same: 1, update: 1 });
    const job = await jobs.get(jobName("held"));
    assert.equal(job.options.pageSize, 200);
    assert.equal(job.createdAt, created.createdAt, "the same job, updated in place");
    assert.equal(job.status, "Paused");

    await jobs.cancel(jobName("held"));
    await deployed.refresh({ onOutput });
    assert.equal((await resourceOutputs(deployed, "held"))?.status, "Cancelled");
    await jobs.delete(jobName("held"));
    await deployed.refresh({ onOutput });
    assert.equal(await resourceOutputs(deployed, "held"), undefined, "the deleted job left the stack");
    await deployed.destroy({ onOutput });
  });

  it("printed no password, and no worker log written during the suite holds it", function () {
    assert.ok(!captured.join("\n").includes(password), "no engine output holds the password");
    const logs = fs.existsSync(workerLogDirectory())
      ? fs
          .readdirSync(workerLogDirectory())
          .map((name) => path.join(workerLogDirectory(), name))
          .filter((file) => fs.statSync(file).mtimeMs >= startedAt)
      : [];
    assert.deepEqual(
      logs.filter((file) => fs.readFileSync(file, "latin1").includes(password)),
      [],
      "worker logs hold no password",
    );
  });
});
