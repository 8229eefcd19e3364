import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Client } from "cassandra-driver";
import { cassandraEnvironmentOf } from "../engine/cassandra/connection";
import { CassandraCopyJobs } from "../engine/cassandra/jobs";
import type { CassandraJobSpec } from "../engine/types";
import { runCli, withoutCassandra, type CliRun } from "./support/cli-process";
import { openCassandra, uniqueKeyspace, type TestCassandra } from "./support/cassandra-node";
import { createKeyspace, createTable, rekeyedKey, seedRows } from "./support/cassandra-tables";
import { tempDir } from "./support/cosmos-endpoint";
import { until } from "./support/until";

/**
 * `cosmos-copy` on a Cassandra cluster's jobs, as users run it: child processes of `bin/cosmos-copy.js`
 * given CASSANDRA_CONTACT_POINTS (and no COSMOS_ENDPOINT), against the real node, copying the fixture table
 * into one keyed otherwise. The cluster is shared with other suites: everything here is named after this
 * suite's keyspace, and the jobs of others are left alone.
 */
const rowCount = 3000;

/** Marks the background workers this suite's commands start, which inherit it, to tell them from others'. */
const workerMarker = "COSMOS_COPY_CLI_CASSANDRA_SUITE";

/** Pids of this machine's processes whose environment holds `variable=value` (ours only: /proc is per user). */
function processesWith(variable: string, value: string): number[] {
  const wanted = `${variable}=${value}`;
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(wanted);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("cosmos-copy CLI on a Cassandra cluster (real node)", function () {
  const keyspace = uniqueKeyspace("cli");
  const printed: string[] = [];
  let node: TestCassandra;
  let client: Client;
  let jobs: CassandraCopyJobs;
  let env: NodeJS.ProcessEnv;
  /** Job names of this suite: the keyspace's name is unique to it. */
  const named = (suffix: string) => `${keyspace}-${suffix}`;
  const table = (name: string) => ["keyspace=" + keyspace, "table=" + name];
  const copy = (name: string, target: string, source = "source") => [
    "create",
    "--job-name",
    named(name),
    "--src-cassandra",
    ...table(source),
    "--dest-cassandra",
    ...table(target),
  ];

  function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return runCli(args, { ...env, ...extraEnv }, printed);
  }

  async function rowsIn(name: string): Promise<number> {
    return Number((await client.execute(`SELECT COUNT(*) FROM ${keyspace}.${name}`)).first().get(0));
  }

  const ourJobs = async () =>
    (await jobs.list()).filter((job) => job.name.startsWith(keyspace)).map((job) => job.name);

  /** Created without a worker, so it stays Pending until a command starts one. */
  const pendingJob = (name: string, target: string): CassandraJobSpec => ({
    name: named(name),
    source: { keyspace, table: "source" },
    destination: { keyspace, table: target },
  });

  before(async function () {
    this.timeout(15 * 60_000);
    node = await openCassandra();
    client = node.client;
    jobs = CassandraCopyJobs.connect(node.connection);
    await createKeyspace(client, keyspace);
    await createTable(client, keyspace, "source");
    await seedRows(client, keyspace, "source", rowCount);
    for (const target of ["rekeyed", "dry", "paused", "resumed"]) {
      await createTable(client, keyspace, target, rekeyedKey);
    }
    // No NoSQL account: the commands choose the cluster from CASSANDRA_CONTACT_POINTS alone.
    const inherited = withoutCassandra(process.env);
    delete inherited.COSMOS_ENDPOINT;
    delete inherited.COSMOS_KEY;
    env = {
      ...inherited,
      ...cassandraEnvironmentOf(node.connection),
      // The background workers the commands start exit soon after the last job, so none outlives the suite.
      COSMOS_COPY_IDLE_TIMEOUT_MS: "2000",
      [workerMarker]: keyspace,
    };
  });

  after(async function () {
    this.timeout(120_000);
    if (!node) return;
    // This suite's workers exit once idle; any still there after that are stopped (never another suite's).
    await until(
      async () => processesWith(workerMarker, keyspace),
      (pids) => pids.length === 0,
      "this suite's background workers to exit",
      30_000,
    ).catch(() => processesWith(workerMarker, keyspace).forEach((pid) => process.kill(pid, "SIGTERM")));
    for (const name of await ourJobs().catch(() => [])) await jobs.delete(name);
    jobs.dispose();
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await node.stop();
    const password = node.connection.password;
    if (password) assert.ok(!printed.some((text) => text.includes(password)), "no password printed");
  });

  it("create --wait copies a table into one keyed otherwise: progress on stderr, exit 0, the job in Azure's shape", async function () {
    this.timeout(5 * 60_000);
    const run = await cli([
      ...copy("rekey", "rekeyed"),
      "--worker-count",
      "2",
      "--page-size",
      "500",
      "--wait",
      "-o",
      "json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const job = JSON.parse(run.stdout);
    assert.equal(job.name, named("rekey"));
    assert.equal(job.type, "Microsoft.DocumentDB/databaseAccounts/dataTransferJobs");
    assert.deepEqual(
      {
        status: job.properties.status,
        processedCount: job.properties.processedCount,
        totalCount: job.properties.totalCount,
        mode: job.properties.mode,
        verificationMode: job.properties.verificationMode,
        matched: job.properties.verification.matched,
      },
      {
        status: "Completed",
        processedCount: rowCount,
        totalCount: rowCount,
        mode: "Offline",
        verificationMode: "full",
        matched: true,
      },
    );
    assert.deepEqual(job.properties.source, {
      component: "CosmosDBCassandra",
      keyspaceName: keyspace,
      tableName: "source",
    });
    assert.deepEqual(job.properties.destination, {
      component: "CosmosDBCassandra",
      keyspaceName: keyspace,
      tableName: "rekeyed",
    });
    assert.match(
      run.stderr,
      new RegExp(`${named("rekey")}: Completed ${rowCount}/${rowCount} items \\(100%\\)`),
    );
    assert.equal(await rowsIn("rekeyed"), rowCount);
    assert.equal((await jobs.get(named("rekey"))).options.pageSize, 500);
  });

  it("list and show name the tables as keyspace.table; -o json gives Azure's Cassandra data stores", async function () {
    const [list, listJson, show, showJson, showTsv] = await Promise.all([
      cli(["list"]),
      cli(["list", "-o", "json"]),
      cli(["show", "--job-name", named("rekey")]),
      cli(["show", "--job-name", named("rekey"), "-o", "json"]),
      cli(["show", "--job-name", named("rekey"), "-o", "tsv"]),
    ]);
    for (const run of [list, listJson, show, showJson, showTsv]) assert.equal(run.code, 0, run.stderr);
    const row = list.stdout.split("\n").find((line) => line.startsWith(named("rekey")));
    assert.ok(row, list.stdout);
    const cells = row.split(/\s+/);
    assert.deepEqual(
      [...cells.slice(0, 4), ...cells.slice(5, 8)],
      [
        named("rekey"),
        "Completed",
        String(rowCount),
        String(rowCount),
        `${keyspace}.source`,
        `${keyspace}.rekeyed`,
        "Offline",
      ],
    );
    assert.match(list.stdout, /^Name\s+Status\s+Processed\s+Total\s+Duration\s+Source\s+Destination\s+Mode/);
    const listed = JSON.parse(listJson.stdout).find((job: { name: string }) => job.name === named("rekey"));
    assert.deepEqual(listed, JSON.parse(showJson.stdout));
    assert.equal(listed.properties.source.component, "CosmosDBCassandra");
    assert.match(
      show.stdout,
      new RegExp(
        `${named("rekey")}\\s+Completed\\s+${rowCount}\\s+${rowCount}\\s+\\S+\\s+${keyspace}\\.source\\s+${keyspace}\\.rekeyed`,
      ),
    );
    assert.deepEqual(showTsv.stdout.split("\t").slice(0, 7), [
      named("rekey"),
      "Completed",
      String(rowCount),
      String(rowCount),
      listed.properties.duration,
      `${keyspace}.source`,
      `${keyspace}.rekeyed`,
    ]);
  });

  it("--dry-run checks the tables, prints their keys and the source's row count, and writes nothing", async function () {
    this.timeout(2 * 60_000);
    const [text, json] = await Promise.all([
      cli([...copy("dry", "dry"), "--dry-run"]),
      cli([...copy("dry", "dry"), "--worker-count", "3", "--dry-run", "-o", "json"]),
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(json.code, 0, json.stderr);
    assert.match(text.stdout, new RegExp(`^Source +${keyspace}\\.source$`, "m"));
    assert.match(text.stdout, /^Source key +PRIMARY KEY \(\(tenant, region\), day, seq\)$/m);
    assert.match(text.stdout, /^Destination key +PRIMARY KEY \(seq, tenant, region, day\)$/m);
    assert.match(text.stdout, /^Rows +3,000$/m);
    assert.match(text.stdout, /Dry run: no job was created\.\n$/);
    const plan = JSON.parse(json.stdout);
    assert.deepEqual(
      [
        plan.sourceRowCount,
        plan.source.partitionKey,
        plan.destination.partitionKey,
        plan.options.workerCount,
      ],
      [rowCount, ["tenant", "region"], ["seq"], 3],
    );
    assert.ok(!(await ourJobs()).includes(named("dry")), "no job recorded");
    assert.equal(await rowsIn("dry"), 0, "no row written");
  });

  it("pause, cancel and delete a Cassandra job; complete is refused (it is offline)", async function () {
    const { name } = await jobs.create(pendingJob("paused", "paused"), { startWorker: false });
    const paused = await cli(["pause", "--job-name", name, "-o", "json"]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(JSON.parse(paused.stdout).properties.status, "Paused");
    const complete = await cli(["complete", "--job-name", name]);
    assert.equal(complete.code, 1);
    assert.match(complete.stderr, /it runs in Offline mode, which completes on its own/);
    const cancelled = await cli(["cancel", "--job-name", name]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, new RegExp(`${name}\\s+Cancelled`));
    const deleted = await cli(["delete", "--job-name", name]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `Deleted copy job '${name}'; its tables and rows are untouched.\n`);
    assert.ok(!(await ourJobs()).includes(name));
    assert.equal(await rowsIn("paused"), 0);
  });

  it("resume starts a worker for a paused Cassandra job, and show --watch follows it to Completed", async function () {
    this.timeout(5 * 60_000);
    const { name } = await jobs.create(pendingJob("resumed", "resumed"), { startWorker: false });
    assert.equal((await cli(["pause", "--job-name", name])).code, 0);
    const resumed = await cli(["resume", "--job-name", name, "-o", "json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).properties.status, "Pending");
    const watched = await cli(["show", "--job-name", name, "--watch"]);
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, new RegExp(`${name}\\s+Completed\\s+${rowCount}\\s+${rowCount}`));
    assert.equal(await rowsIn("resumed"), rowCount);
  });

  it("a missing table: exit 1 with the service's 'Owner resource does not exist', and no job", async function () {
    const [missingSource, missingTarget] = await Promise.all([
      cli(copy("typo", "rekeyed", "nope")),
      cli(copy("no-target", "absent")),
    ]);
    assert.equal(missingSource.code, 1, missingSource.stderr);
    assert.match(
      missingSource.stderr,
      new RegExp(`Owner resource does not exist: the source table '${keyspace}\\.nope' was not found`),
    );
    assert.equal(missingTarget.code, 1, missingTarget.stderr);
    assert.match(
      missingTarget.stderr,
      /Owner resource does not exist: the destination table .*absent'.*Create the target table first/,
    );
    const names = await ourJobs();
    assert.ok(!names.includes(named("typo")) && !names.includes(named("no-target")), names.join(", "));
  });

  it("exits 2 for flags that cannot make a Cassandra copy, naming the flag and the fix, before connecting", async function () {
    const passwordFile = path.join(tempDir("cosmos-copy-cassandra"), "password");
    fs.writeFileSync(passwordFile, "", { mode: 0o600 });
    const cases: [args: string[], expected: RegExp, extraEnv?: NodeJS.ProcessEnv][] = [
      [
        [
          "create",
          "--job-name",
          named("x"),
          "--src-nosql",
          "database=a",
          "container=b",
          "--dest-cassandra",
          ...table("t"),
        ],
        /--src-nosql and --dest-cassandra cannot be mixed: .*Give one pair/,
      ],
      [
        [...copy("x", "t"), "--dest-nosql", "database=a", "container=b"],
        /--src-cassandra and --dest-nosql cannot be mixed/,
      ],
      [
        [
          "create",
          "--job-name",
          named("x"),
          "--src-cassandra",
          "database=k",
          "table=t",
          "--dest-cassandra",
          ...table("t"),
        ],
        /argument 'database=k' is invalid\. Give 'keyspace=<name>' and 'table=<name>', e\.g\. keyspace=shop table=orders/,
      ],
      [
        [
          "create",
          "--job-name",
          named("x"),
          "--src-cassandra",
          `keyspace=${keyspace}`,
          "--dest-cassandra",
          ...table("t"),
        ],
        /--src-cassandra needs table=<name>, e\.g\. --src-cassandra keyspace=shop table=orders/,
      ],
      [
        ["create", "--job-name", named("x"), "--src-cassandra", ...table("source")],
        /required option '--dest-cassandra <keyspace=K table=T\.\.\.>' not specified/,
      ],
      [
        [
          "create",
          "--job-name",
          named("x"),
          "--src-cassandra",
          "keyspace=bad-name",
          "table=t",
          "--dest-cassandra",
          ...table("t"),
        ],
        /--src-cassandra: source\.keyspace "bad-name" is not a valid Cassandra name: use 1–48 letters/,
      ],
      [
        [...copy("x", "t"), "--mode", "Online"],
        /--mode Online does not apply to a Cassandra table copy: .*no change feed/,
      ],
      [[...copy("x", "t"), "--transform", "./t.js"], /--transform does not apply to a Cassandra table copy/],
      [
        [...copy("x", "t"), "--target-throughput-limit", "50%", "--source-throughput-limit", "1000"],
        /--target-throughput-limit does not apply .*request units.*\n.*--source-throughput-limit does not apply/,
      ],
      [
        [...copy("x", "t"), "--verification-mode", "sampled"],
        /--verification-mode sampled does not apply .*verifies in full/,
      ],
      [
        [...copy("x", "t"), "--src-endpoint", "https://other.documents.azure.com:443/"],
        /--src-endpoint does not apply to a Cassandra cluster's jobs .*Drop it/,
      ],
      [
        ["list", "--endpoint", "https://a.documents.azure.com:443/", "--contact-points", "127.0.0.1"],
        /--endpoint and --contact-points name two places/,
      ],
      [
        ["list"],
        /Both COSMOS_ENDPOINT and CASSANDRA_CONTACT_POINTS are set.*pass --endpoint <url>.*or --contact-points/,
        { COSMOS_ENDPOINT: "https://a.documents.azure.com:443/" },
      ],
      [["list", "--key-file", "/dev/null"], /--key-file does not apply to a Cassandra cluster's jobs/],
      [["list", "--password", "hunter2"], /--password is refused: .*CASSANDRA_PASSWORD.*--password-file/],
      [
        ["list", "--username", "someone", "--password-file", passwordFile],
        /--password-file '.*' is empty: put the user's password in it/,
      ],
      [
        ["list", "--contact-points", "host:99999"],
        /--contact-points='host:99999' has 'host:99999', which is not host\[:port\]/,
      ],
      [
        ["copy-database", "--src-database", "a", "--dest-database", "b"],
        /copy-database .* does not work on a Cassandra cluster.*--src-cassandra/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args, , extraEnv]) => cli(args, extraEnv)));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 2, `${cases[i][0].join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, cases[i][1], cases[i][0].join(" "));
    }
    assert.ok(!printed.some((text) => text.includes("hunter2")), "the refused password is not echoed");
    assert.deepEqual(
      (await ourJobs()).filter((name) => name === named("x")),
      [],
    );
  });
});
