import assert from "node:assert/strict";
import type { Client } from "cassandra-driver";
import { CassandraBackend } from "../engine/cassandra/backend";
import { CassandraCopyJobs } from "../engine/cassandra/jobs";
import type { CassandraConnection } from "../engine/cassandra/connection";
import { plainRow } from "../engine/cassandra/plain-row";
import { CopyWorker } from "../engine";
import type { CassandraJobSpec, JobRecord } from "../engine/types";
import { startWorkerProcess } from "../engine/worker-process";
import { openCassandra, uniqueKeyspace, type TestCassandra } from "./support/cassandra-node";
import { createKeyspace, createTable, rekeyedKey, seedRows, sourceRow } from "./support/cassandra-tables";
import { until } from "./support/until";
import { expectFailure } from "./support/expect-failure";

/**
 * Cassandra table copies through the engine, against a real Apache Cassandra node: the job, its state
 * (the cluster's `__datatransferstate` keyspace) and its workers as the CLI and the Pulumi resource drive
 * them. One source of 50,000 rows with every kind of column is copied into tables keyed otherwise.
 */
const rowCount = 50_000;

function workerOn(connection: CassandraConnection, workerId: string): CopyWorker {
  return new CopyWorker({
    backend: new CassandraBackend(connection),
    workerId,
    idleTimeoutMs: 1500,
    pollIntervalMs: 100,
    heartbeatIntervalMs: 300,
  });
}

describe("Cassandra copy engine (real node)", function () {
  let node: TestCassandra;
  let client: Client;
  let jobs: CassandraCopyJobs;
  const keyspace = uniqueKeyspace("copy_engine");
  const spec = (name: string, table: string, options?: CassandraJobSpec["options"]): CassandraJobSpec => ({
    name: `${keyspace}-${name}`,
    source: { keyspace, table: "source" },
    destination: { keyspace, table },
    options,
  });
  const countOf = async (table: string) =>
    Number((await client.execute(`SELECT COUNT(*) FROM ${keyspace}.${table}`)).first().get(0));
  const jobNames = async () => (await jobs.list()).map((job) => job.name);

  /** A completed copy whose closing check read both tables whole and found them equal. */
  function assertExact(job: JobRecord): void {
    assert.equal(job.status, "Completed", JSON.stringify(job.error ?? job.verification));
    assert.equal(job.api, "Cassandra");
    assert.equal(job.verification?.mode, "full");
    assert.equal(job.verification?.sourceCount, rowCount);
    assert.equal(job.verification?.targetCount, rowCount);
    assert.equal(job.verification?.sourceChecksum, job.verification?.targetChecksum);
    assert.equal(job.verification?.matched, true);
  }

  before(async function () {
    this.timeout(15 * 60_000);
    node = await openCassandra();
    client = node.client;
    await createKeyspace(client, keyspace);
    await createTable(client, keyspace, "source");
    await seedRows(client, keyspace, "source", rowCount);
    jobs = CassandraCopyJobs.connect(node.connection);
  });

  after(async () => {
    for (const name of await jobNames().catch(() => [])) {
      if (name.startsWith(keyspace)) await jobs.delete(name);
    }
    jobs?.dispose();
    await client?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await node?.stop();
  });

  it("copies 50,000 rows with clustering, collections, a UDT, blobs, timestamps and nulls into a table keyed otherwise, row for row", async function () {
    this.timeout(10 * 60_000);
    await createTable(client, keyspace, "rekeyed", rekeyedKey);
    const created = await jobs.create(spec("rekey", "rekeyed"), { startWorker: false });
    assert.equal(created.status, "Pending");
    assert.deepEqual(created.source, { database: keyspace, container: "source" });
    await workerOn(node.connection, "w1").run();
    const job = await jobs.get(created.name);
    assertExact(job);
    assert.equal(job.processedCount, rowCount);
    assert.equal(job.totalCount, rowCount);
    // Row for row, apart from the closing check's checksums: rows looked up by the target's own key.
    for (let i = 0; i < rowCount; i += 997) {
      const expected = sourceRow(i);
      const key = [expected.seq, expected.tenant, expected.region, expected.day];
      const [copied, original] = await Promise.all([
        client.execute(
          `SELECT * FROM ${keyspace}.rekeyed WHERE seq = ? AND tenant = ? AND region = ? AND day = ?`,
          key,
          { prepare: true },
        ),
        client.execute(
          `SELECT * FROM ${keyspace}.source WHERE tenant = ? AND region = ? AND day = ? AND seq = ?`,
          [expected.tenant, expected.region, expected.day, expected.seq],
          { prepare: true },
        ),
      ]);
      assert.equal(copied.rowLength, 1, `row ${i} missing`);
      assert.deepEqual(plainRow(copied.first()), plainRow(original.first()), `row ${i} differs`);
    }
  });

  it("restarts a worker killed with SIGKILL mid-copy from its checkpoints, with an exact result", async function () {
    this.timeout(10 * 60_000);
    await createTable(client, keyspace, "killed", rekeyedKey);
    const { name } = await jobs.create(spec("killed", "killed", { pageSize: 500 }), { startWorker: false });
    const doomed = startWorkerProcess(node.connection, {
      mode: "owned",
      workerId: "crashy",
      idleTimeoutMs: 1500,
    });
    const midway = await until(
      () => jobs.get(name),
      (job) => job.processedCount >= 10_000 || job.status === "Completed",
      "10,000 rows checkpointed",
      5 * 60_000,
    );
    await doomed.kill();
    assert.equal(midway.status, "Running", "the copy ended before the worker could be killed mid-copy");
    const checkpointed = (await jobs.get(name)).processedCount;
    assert.ok(checkpointed < rowCount, `${checkpointed} rows checkpointed before the kill`);
    // The same id takes its leases back at once instead of waiting for them to expire.
    const restarted = startWorkerProcess(node.connection, {
      mode: "owned",
      workerId: "crashy",
      idleTimeoutMs: 1500,
    });
    assert.equal(await restarted.exited(), 0);
    const job = await jobs.get(name);
    assertExact(job);
    assert.equal(await countOf("killed"), rowCount);
  });

  it("shares one job's token ranges between two workers, each copying part of it", async function () {
    this.timeout(10 * 60_000);
    await createTable(client, keyspace, "shared", rekeyedKey);
    const { name } = await jobs.create(spec("shared", "shared", { pageSize: 500, workerCount: 2 }), {
      startWorker: false,
    });
    await Promise.all([workerOn(node.connection, "w1").run(), workerOn(node.connection, "w2").run()]);
    const job = await jobs.get(name);
    assertExact(job);
    const byWorker = job.processedByWorker;
    assert.ok((byWorker.w1 ?? 0) > 0 && (byWorker.w2 ?? 0) > 0, JSON.stringify(byWorker));
    assert.equal((byWorker.w1 ?? 0) + (byWorker.w2 ?? 0), rowCount);
  });

  describe("bad inputs: each refused before anything is written, naming the value and the fix", () => {
    async function refused(wanted: CassandraJobSpec, pattern: RegExp, code: string): Promise<void> {
      const error = await expectFailure(jobs.create(wanted, { startWorker: false }));
      assert.equal(error.code, code, error.message);
      assert.match(error.message, pattern);
      assert.ok(!(await jobNames()).includes(wanted.name), "a job record was written");
    }

    it("a missing keyspace or table, on either side: the service's 'Owner resource does not exist'", async () => {
      await refused(
        { ...spec("no-keyspace", "x"), destination: { keyspace: "no_such_keyspace", table: "x" } },
        /Owner resource does not exist: the destination keyspace 'no_such_keyspace' was not found.*Create/,
        "OwnerResourceNotFound",
      );
      await refused(
        spec("no-table", "not_created"),
        new RegExp(
          `Owner resource does not exist: the destination table '${keyspace}.not_created' was not found`,
        ),
        "OwnerResourceNotFound",
      );
      await refused(
        { ...spec("no-source", "rekeyed"), source: { keyspace, table: "no_source" } },
        new RegExp(`Owner resource does not exist: the source table '${keyspace}.no_source' was not found`),
        "OwnerResourceNotFound",
      );
    });

    it("a target that lacks a source column, or has one of another type, naming each", async () => {
      await client.execute(
        `CREATE TABLE ${keyspace}.narrow (tenant text, region int, day date, seq bigint, name int, PRIMARY KEY ((seq), tenant, region, day))`,
      );
      const error = await expectFailure(jobs.create(spec("narrow", "narrow"), { startWorker: false }));
      assert.match(error.message, /photo/);
      assert.match(error.message, /'name'.*text.*int|name.*int.*text/s);
      assert.equal(await countOf("narrow"), 0);
      assert.ok(!(await jobNames()).includes(spec("narrow", "narrow").name));
    });

    it("source == target, bad names and options that do not apply to Cassandra", async () => {
      await refused(spec("itself", "source"), /destination is the source table/, "InvalidJobSpec");
      await refused(
        spec("bad-name", "orders-v2"),
        /destination.table "orders-v2" is not a valid Cassandra name/,
        "InvalidJobSpec",
      );
      const capped = {
        ...spec("capped", "rekeyed"),
        options: { targetThroughputLimit: { requestUnitsPerSecond: 400 } },
      };
      await refused(
        capped as CassandraJobSpec,
        /targetThroughputLimit does not apply to a Cassandra table copy/,
        "InvalidJobSpec",
      );
    });
  });
});
