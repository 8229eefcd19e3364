import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { CopyJobs, maxRecopiedItems } from "../engine";
import { workerLogDirectory } from "../engine/worker-process";
import {
  cliBin as bin,
  cliEnvironment,
  runCli,
  startProcess,
  stopBackgroundWorkers,
  type CliRun,
  type StartedProcess,
} from "./support/cli-process";
import { openEndpoint, tempDir, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";

/**
 * The `cosmos-copy` CLI as users run it: child processes of `bin/cosmos-copy.js` against a cosmos-emulator,
 * on pipes and (through `script`) on a pseudo-terminal. Every byte they print is kept, to prove the account
 * key never appears in any of it.
 */
const sourceItems = 2000;
const hasScript = spawnSync("script", ["--version"]).status === 0;

const src = ["--src-nosql", "database=shop", "container=orders"];
const dest = (container: string) => ["--dest-nosql", "database=shop", `container=${container}`];

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("cosmos-copy CLI", function () {
  const key = randomBytes(64).toString("base64");
  const printed: string[] = [];
  let cosmos: TestEndpoint;
  let shop: Database;
  let env: NodeJS.ProcessEnv;
  const startedAt = Date.now();

  /** Runs `cosmos-copy args` to the end on pipes. */
  function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    return runCli(args, { ...env, ...extraEnv }, printed);
  }

  /** Starts `cosmos-copy args` and collects its output as it comes. */
  function start(command: string, args: string[]): StartedProcess {
    return startProcess(command, args, env, printed);
  }

  /** `cosmos-copy args` on a pseudo-terminal, as a person at a shell runs it. */
  function inTerminal(args: string[]) {
    const command = [process.execPath, bin, ...args].map(shellQuote).join(" ");
    return start("script", ["-qfec", command, "/dev/null"]);
  }

  async function container(database: Database, id: string, throughput = 100000): Promise<Container> {
    return (await database.containers.create({ id, partitionKey: { paths: ["/pk"] }, throughput })).container;
  }

  async function countItems(target: Container): Promise<number> {
    const { resources } = await target.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
    return resources[0];
  }

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 2, key });
    env = cliEnvironment(cosmos);
    ({ database: shop } = await cosmos.client.databases.create({ id: "shop" }));
    await seedContainer(await container(shop, "orders"), {
      count: sourceItems,
      partitionKeys: 50,
      itemBytes: 200,
    });
  });

  after(async function () {
    if (!cosmos) return;
    await stopBackgroundWorkers(cosmos.client);
    await cosmos.stop();
  });

  it("has --help with an example on every command", async function () {
    const commands = [
      "",
      "create",
      "list",
      "show",
      "pause",
      "resume",
      "cancel",
      "complete",
      "delete",
      "worker",
    ];
    const runs = await Promise.all(
      [...commands, "copy-database"].map((c) => cli([...(c ? [c] : []), "--help"])),
    );
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /Example:\n( {2}\$ .*\n)* {2}\$ cosmos-copy /,
        `help of '${[...commands, "copy-database"][i]}'`,
      );
    }
    assert.match(runs[1].stdout, /Global Options:[\s\S]*--endpoint/);
    assert.match(runs[1].stdout, /\$ cosmos-copy create .* --dry-run\n/, "create's help shows a dry run");
  });

  it("worker: runs the account's jobs in the foreground, logging to stderr, and exits when idle", async function () {
    await container(shop, "by-worker");
    const jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    try {
      const spec = {
        name: "by-worker",
        source: { database: "shop", container: "orders" },
        destination: { database: "shop", container: "by-worker" },
      };
      await jobs.create(spec, { startWorker: false });
    } finally {
      jobs.dispose();
    }
    const run = await cli(["worker", "--idle-timeout-minutes", "0.03"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /started job by-worker/);
    assert.match(run.stderr, /job by-worker completed/);
    assert.match(run.stderr, /exited \(idle\)/);
  });

  it("create --wait: one plain progress line per change on a pipe, then the job as Azure's resource in JSON", async function () {
    const target = await container(shop, "json-copy");
    const run = await cli([
      "create",
      "--job-name",
      "json-copy",
      ...src,
      ...dest("json-copy"),
      "--wait",
      "-o",
      "json",
    ]);
    assert.equal(run.code, 0, run.stderr);
    const job = JSON.parse(run.stdout);
    const { verification, preflight, ...properties } = job.properties;
    assert.deepEqual(
      { ...job, properties: { ...properties, lastUpdatedUtcTime: undefined, duration: undefined } },
      {
        name: "json-copy",
        type: "Microsoft.DocumentDB/databaseAccounts/dataTransferJobs",
        properties: {
          jobName: "json-copy",
          status: "Completed",
          processedCount: sourceItems,
          totalCount: sourceItems,
          lastUpdatedUtcTime: undefined,
          duration: undefined,
          mode: "Offline",
          workerCount: 1,
          source: { component: "CosmosDBSql", databaseName: "shop", containerName: "orders" },
          destination: { component: "CosmosDBSql", databaseName: "shop", containerName: "json-copy" },
          verificationMode: "sampled",
        },
      },
    );
    assert.deepEqual(
      [
        verification.matched,
        verification.sourceCount,
        verification.targetCount,
        verification.sampleMismatches,
      ],
      [true, sourceItems, sourceItems, []],
    );
    // The analysis before the copy read every source item, and found nothing to warn of.
    assert.deepEqual([preflight.itemsRead, preflight.warnings], [sourceItems, []]);
    assert.match(job.properties.duration, /^\d{2}:\d{2}:\d{2}$/);
    assert.ok(Date.parse(job.properties.lastUpdatedUtcTime) > Date.now() - 60_000);
    assert.equal(await countItems(target), sourceItems);

    const lines = run.stderr.trimEnd().split("\n");
    for (const line of lines) {
      assert.match(
        line,
        /^json-copy: (Pending|Running|Completed) \d+\/\d+ items \(\d+%\), \d+ items\/s, ETA [\d:-]+$/,
      );
    }
    assert.match(
      lines[lines.length - 1],
      /Completed 2000\/2000 items \(100%\), [1-9]\d* items\/s, ETA 00:00:00/,
    );
    assert.doesNotMatch(run.stderr, /\x1b\[/, "no terminal control sequences on a pipe");
  });

  it("create --wait on a terminal draws a live progress bar with percent, items/s and ETA", async function () {
    if (!hasScript) this.skip();
    await container(shop, "tty-copy");
    const { output, done } = inTerminal([
      "create",
      "--job-name",
      "tty-copy",
      ...src,
      ...dest("tty-copy"),
      // A copy held to a few seconds, so the bar is drawn while it runs however fast the machine copies.
      "--target-throughput-limit",
      "4000",
      "--wait",
    ]);
    assert.equal(await done, 0, output.stdout + output.stderr);
    assert.match(output.stdout, /\x1b\[/, "redrawn in place");
    assert.match(
      output.stdout,
      /tty-copy \[[=-]{30}\] \d+% \| \d+\/\d+ items \| \d+ items\/s \| ETA [\d:-]+ \| Running/,
    );
    assert.match(
      output.stdout,
      /\[={30}\] 100% \| 2000\/2000 items \| [1-9]\d* items\/s \| ETA 00:00:00 \| Completed/,
    );
    assert.match(output.stdout, /tty-copy\s+Completed\s+2000\s+2000/);
  });

  it("list and show print a table, JSON in the service's shape, and TSV", async function () {
    const [table, json, tsv, show, showJson, showTsv, watch] = await Promise.all([
      cli(["list"]),
      cli(["list", "--output", "json"]),
      cli(["list", "-o", "tsv"]),
      cli(["show", "--job-name", "json-copy"]),
      cli(["show", "--job-name", "json-copy", "-o", "json"]),
      cli(["show", "--job-name", "json-copy", "-o", "tsv"]),
      cli(["show", "--job-name", "json-copy", "--watch", "-o", "json"]),
    ]);
    for (const run of [table, json, tsv, show, showJson, showTsv, watch])
      assert.equal(run.code, 0, run.stderr);

    const [header, rule, ...rows] = table.stdout.trimEnd().split("\n");
    assert.match(header, /^Name\s+Status\s+Processed\s+Total\s+Duration\s+Source\s+Destination\s+Mode/);
    assert.match(rule, /^-+ {2}-+/);
    assert.deepEqual(
      rows.map((row) => row.split(/\s+/).slice(0, 4)),
      ["by-worker", "json-copy", "tty-copy"].map((name) => [name, "Completed", "2000", "2000"]),
    );

    const listed = JSON.parse(json.stdout);
    assert.deepEqual(
      listed.map((job: { name: string }) => job.name),
      ["by-worker", "json-copy", "tty-copy"],
    );
    assert.deepEqual(JSON.parse(showJson.stdout), listed[1]);
    assert.deepEqual(JSON.parse(watch.stdout).properties.status, "Completed");

    const tsvRows = tsv.stdout
      .trimEnd()
      .split("\n")
      .map((line) => line.split("\t"));
    assert.equal(tsvRows.length, 3);
    const [name, status, processed, total, duration, source, destination, mode] = tsvRows[1];
    assert.deepEqual(
      [name, status, processed, total, source, destination, mode],
      ["json-copy", "Completed", "2000", "2000", "shop/orders", "shop/json-copy", "Offline"],
    );
    assert.match(duration, /^\d{2}:\d{2}:\d{2}$/);
    assert.equal(tsvRows[1].length, 16);
    assert.deepEqual(tsvRows[1].slice(12), ["", "", "", ""], "an offline job has no phase, changes or lag");
    assert.equal(showTsv.stdout, tsv.stdout.split("\n")[1] + "\n");
    assert.match(show.stdout, /^Name\s+Status[\s\S]*\njson-copy\s+Completed\s+2000\s+2000/);
  });

  it("create --dry-run prints the plan (a table with its summary, JSON, TSV) and creates no job", async function () {
    const target = await container(shop, "planned", 1000);
    const plan = ["create", "--job-name", "planned", ...src, ...dest("planned"), "--dry-run"];
    const [table, json, tsv] = await Promise.all([
      cli(plan),
      cli([...plan, "-o", "json"]),
      cli([...plan, "--target-throughput-limit", "50%", "-o", "tsv"]),
    ]);
    for (const run of [table, json, tsv]) assert.equal(run.code, 0, run.stderr);

    assert.match(
      table.stdout,
      /^Job +planned\nSource +shop\/orders\nDestination +shop\/planned\nItems +2,000\n/,
    );
    assert.match(table.stdout, /\nTarget RU\/s \(provisioned\) +1,000\n/);
    assert.match(
      table.stdout,
      /\nplanned: shop\/orders → shop\/planned, 2,000 items, .*~[\d,]+ RU \(estimate\); ~[\d.]+ s at 1,000 RU\/s \(estimate\); plan cost \d+ RU; preflight analysis: 2,000 items read, [\d,]+ RU\nDry run: no job was created\.\n$/,
    );
    const planned = JSON.parse(json.stdout);
    assert.equal(planned.sourceItemCount, sourceItems);
    assert.equal(planned.effectiveRequestUnitsPerSecond, 1000);
    assert.ok(planned.estimatedRequestUnits > 0 && planned.estimatedSeconds > 0);
    const values = tsv.stdout.trimEnd().split("\t");
    assert.deepEqual(values.slice(0, 4), ["planned", "shop/orders", "shop/planned", String(sourceItems)]);
    assert.equal(values[8], "500", "the effective RU/s under a 50% cap");

    const listed = JSON.parse((await cli(["list", "-o", "json"])).stdout);
    assert.ok(!listed.some((job: { name: string }) => job.name === "planned"));
    assert.equal(await countItems(target), 0);
  });

  it("create --dry-run of a missing target fails as create does, exit 1", async function () {
    const run = await cli(["create", "--job-name", "typo", ...src, ...dest("plannd"), "--dry-run"]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: Owner resource does not exist.*'shop\/plannd'.*Create the target container first/,
    );
    assert.equal(run.stdout, "");
  });

  it("create and --dry-run refuse ids that would collide under the new key, naming them, exit 1; warnings go to stderr", async function () {
    const source = await container(shop, "visits");
    const target = (
      await shop.containers.create({
        id: "visits-by-city",
        partitionKey: { paths: ["/city"] },
        defaultTtl: 60,
      })
    ).container;
    await Promise.all([
      source.items.create({ id: "v-1", pk: "ann", city: "oslo" }),
      source.items.create({ id: "v-1", pk: "bob", city: "oslo" }),
      source.items.create({ id: "v-2", pk: "bob", city: "rome" }),
    ]);
    const args = ["create", "--job-name", "visits", "--src-nosql", "database=shop", "container=visits"];
    const refused = await Promise.all([
      cli([...args, ...dest("visits-by-city"), "--dry-run"]),
      cli([...args, ...dest("visits-by-city")]),
    ]);
    for (const run of refused) {
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        /^error: Preflight analysis found a problem .* 'v-1' \(source keys "(ann|bob)" and "(ann|bob)" → target key "oslo"\)/,
      );
    }
    assert.equal(await countItems(target), 0);

    // Without the collision the copy is created, and what it does not carry over is said.
    await source.item("v-1", "bob").delete();
    const created = await cli([...args, ...dest("visits-by-city")]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stderr,
      /^warning: Time to live differs: the source's defaultTtl is off, the target's is 60 s/m,
    );
    const shown = JSON.parse((await cli(["show", "--job-name", "visits", "-o", "json"])).stdout);
    assert.equal(shown.properties.preflight.itemsRead, 2);
    assert.match(shown.properties.preflight.warnings.join("\n"), /^Time to live differs/m);
    await cli(["delete", "--job-name", "visits"]);
  });

  it("refuses a missing target with 'Owner resource does not exist', the misspelt name and the fix; creates nothing", async function () {
    const run = await cli(["create", "--job-name", "typo", ...src, ...dest("json-copi")]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: Owner resource does not exist/);
    assert.match(run.stderr, /'shop\/json-copi'/);
    assert.match(run.stderr, /Create the target container first/);
    const listed = JSON.parse((await cli(["list", "-o", "json"])).stdout);
    assert.ok(!listed.some((job: { name: string }) => job.name === "typo"));
  });

  it("exits 2 for bad usage, naming the bad value and the fix", async function () {
    const keyFile = path.join(tempDir("cosmos-copy-key"), "key");
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    const cases: [args: string[], expected: RegExp, extraEnv?: NodeJS.ProcessEnv][] = [
      [
        ["create", "--job-name", "bad name!", ...src, ...dest("x")],
        /--job-name: Job name 'bad name!' is not valid/,
      ],
      [
        ["create", "--job-name", "j", "--src-nosql", "databse=shop", "container=orders", ...dest("x")],
        /'databse=shop' is invalid\. Give 'database=<name>'/,
      ],
      [
        ["create", "--job-name", "j", "--src-nosql", "container=orders", ...dest("x")],
        /--src-nosql needs database=<name>, e\.g\./,
      ],
      [
        ["create", "--job-name", "j", ...src, ...dest("orders")],
        /--dest-nosql: The destination is the source container 'shop\/orders'/,
      ],
      [
        ["create", "--job-name", "j", ...src, ...dest("x"), "--page-size", "0"],
        /'0' is invalid\. Use a whole number from 1 to 10000/,
      ],
      [
        ["create", "--job-name", "j", ...src, ...dest("x"), "--worker-count", "99"],
        /'99' is invalid\. Use a whole number from 1 to 16/,
      ],
      [
        ["create", "--job-name", "j", ...src, ...dest("x"), "--dry-run", "--wait"],
        /option '--dry-run' cannot be used with option '--wait'/,
      ],
      [["list", "-o", "xml"], /'xml' is invalid\. Allowed choices are table, json, tsv/],
      [["list", "--auth", "cert"], /'cert' is invalid\. Allowed choices are key, aad/],
      [["show"], /required option '--job-name <name>' not specified/],
      [["frob"], /unknown command 'frob'/],
      [["list", "--bogus"], /unknown option '--bogus'/],
      [[], /Usage: cosmos-copy/],
      [["worker", "--idle-timeout-minutes", "0"], /'0' is invalid\. Use a number greater than 0/],
      [
        ["copy-database", "--src-database", "shop", "--dest-database", "shop"],
        /both 'shop'.*give another destination database/,
      ],
      [
        ["list"],
        /No account endpoint: pass --endpoint <url> or set COSMOS_ENDPOINT/,
        { COSMOS_ENDPOINT: "" },
      ],
      [["list"], /No account key: set COSMOS_KEY, pass --key-file <file>/, { COSMOS_KEY: "" }],
      [["list", "--key-file", "/nonexistent/key"], /Cannot read --key-file '\/nonexistent\/key' \(ENOENT\)/],
      [["list", "--auth", "aad", "--key-file", keyFile], /--key-file and --auth aad contradict each other/],
      [["list", "--auth", "aad"], /--auth aad needs an https endpoint, not 'http:/],
      [["list", "--endpoint", "not a url"], /'not a url' is not a URL\. Use the account's URI/],
    ];
    const runs = await Promise.all(cases.map(([args, , extraEnv]) => cli(args, extraEnv)));
    for (const [i, run] of runs.entries()) {
      const [args, expected] = cases[i];
      assert.equal(run.code, 2, `exit code of 'cosmos-copy ${args.join(" ")}': ${run.stderr}`);
      assert.match(run.stderr, expected, `'cosmos-copy ${args.join(" ")}'`);
      assert.match(run.stderr, /^error: |^Usage:/);
    }
  });

  it("refuses --key with the reason, without echoing it; --key-file and COSMOS_KEY work", async function () {
    const refused = await cli(["list", "--key", key]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--key is refused: a key on the command line is visible to every user/);
    assert.match(refused.stderr, /COSMOS_KEY.*--key-file <file>/);
    const keyFile = path.join(tempDir("cosmos-copy-key"), "key");
    fs.writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    const fromFile = await cli(["list", "--key-file", keyFile, "-o", "tsv"], { COSMOS_KEY: "" });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stdout.split("\n").length, 4);
  });

  it("pause, resume and cancel a running job; --wait on it then exits 1; complete is refused for offline jobs", async function () {
    // 400 RU/s makes the copy take long enough to act on it while it runs; small pages let the worker
    // notice the cancellation quickly, so the next tests' jobs need not wait for it.
    await container(shop, "slow", 400);
    const waiting = start(process.execPath, [
      bin,
      "create",
      "--job-name",
      "slow-copy",
      ...src,
      ...dest("slow"),
      "--page-size",
      "100",
      "--wait",
    ]);
    await until(() => /slow-copy: Running/.test(waiting.output.stderr), "the job to run");

    const paused = await cli(["pause", "--job-name", "slow-copy", "-o", "json"]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(JSON.parse(paused.stdout).properties.status, "Paused");
    await until(
      () => /slow-copy: Paused/.test(waiting.output.stderr),
      "the waiting command to see the pause",
    );
    const resumed = await cli(["resume", "--job-name", "slow-copy", "-o", "json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).properties.status, "Pending");
    const cancelled = await cli(["cancel", "--job-name", "slow-copy", "-o", "json"]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(JSON.parse(cancelled.stdout).properties.status, "Cancelled");

    assert.equal(await waiting.done, 1);
    assert.match(waiting.output.stdout, /slow-copy\s+Cancelled/);
    assert.match(
      waiting.output.stderr,
      /error: Job 'slow-copy' was cancelled .* delete it \(cosmos-copy delete --job-name slow-copy\)/,
    );

    const [again, complete, watch] = await Promise.all([
      cli(["pause", "--job-name", "slow-copy"]),
      cli(["complete", "--job-name", "slow-copy"]),
      cli(["show", "--job-name", "slow-copy", "--watch"]),
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Cannot pause job 'slow-copy': it is Cancelled/);
    assert.equal(complete.code, 1);
    assert.match(
      complete.stderr,
      /Cannot complete job 'slow-copy': it runs in Offline mode.*applies only to Online jobs/,
    );
    assert.equal(watch.code, 1, "watching a cancelled job fails");
  });

  it("Ctrl-C during --wait on a terminal detaches: the job keeps running, the way back is printed, exit 130", async function () {
    if (!hasScript) this.skip();
    await container(shop, "slow-2", 400); // slow, as in the previous test
    const args = [
      "--endpoint",
      cosmos.endpoint,
      "create",
      "--job-name",
      "detached",
      ...src,
      ...dest("slow-2"),
      "--page-size",
      "100",
      "--wait",
    ];
    const session = inTerminal(args);
    await until(() => /detached \[.*\| Running/.test(session.output.stdout), "the progress bar");
    session.child.stdin?.write("\x03");
    assert.equal(await session.done, 130, session.output.stdout);
    assert.match(session.output.stdout, /Detached: job 'detached' keeps running in the background/);
    assert.ok(
      session.output.stdout.includes(
        `cosmos-copy --endpoint ${cosmos.endpoint} show --job-name detached --watch`,
      ),
      session.output.stdout,
    );
    const shown = await cli(["show", "--job-name", "detached", "-o", "json"]);
    assert.equal(JSON.parse(shown.stdout).properties.status, "Running");
    assert.equal((await cli(["cancel", "--job-name", "detached"])).code, 0);
  });

  it("create --wait exits 1 for a job that fails, with its error in the output", async function () {
    const target = await container(shop, "tampered");
    await target.items.create({ id: "not-from-the-source", pk: "x" });
    const run = await cli([
      "create",
      "--job-name",
      "tampered",
      ...src,
      ...dest("tampered"),
      "--wait",
      "-o",
      "json",
    ]);
    assert.equal(run.code, 1);
    const job = JSON.parse(run.stdout);
    assert.equal(job.properties.status, "Failed");
    assert.equal(job.properties.error.code, "VerificationMismatch");
    assert.match(
      run.stderr,
      /error: Job 'tampered' ended Failed with VerificationMismatch: .* Fix the cause/,
    );
    const table = await cli(["show", "--job-name", "tampered"]);
    assert.match(table.stdout, /\ntampered: VerificationMismatch: The target does not match the source/);
    assert.match(table.stdout, /holds 1 item \('not-from-the-source' \[pk "x"\]\) it should not/);
    const shown = JSON.parse((await cli(["show", "--job-name", "tampered", "-o", "json"])).stdout);
    assert.deepEqual(shown.properties.verification.differences.extra, {
      count: 1,
      sample: [{ id: "not-from-the-source", partitionKey: "x" }],
    });
  });

  it("resume takes a job failed by its target's deletion up again once the target is created again, and it ends exact", async function () {
    const doomed = await container(shop, "doomed");
    const ranges = (await shop.container("orders").getFeedRanges()).length;
    const pageSize = 10;
    const bound = maxRecopiedItems(pageSize, ranges);
    // Capped at 1,000 RU/s so the copy lasts long enough to delete the target under it.
    const waiting = start(process.execPath, [
      bin,
      "create",
      "--job-name",
      "doomed",
      ...src,
      ...dest("doomed"),
      "--page-size",
      String(pageSize),
      "--target-throughput-limit",
      "1000",
      "--wait",
    ]);
    /** The count the waiting command printed last. */
    const copied = () =>
      Math.max(
        0,
        ...Array.from(waiting.output.stderr.matchAll(/doomed: Running (\d+)\//g), (m) => Number(m[1])),
      );
    await until(() => copied() > bound, `more than ${bound} items copied`);
    await doomed.delete();
    assert.equal(await waiting.done, 1);
    assert.match(
      waiting.output.stderr,
      /error: Job 'doomed' ended Failed with Http404\.1003: .*Owner resource does not exist.* Fix the cause, then resume it from its checkpoints \(cosmos-copy resume --job-name doomed\)/,
    );

    const missing = await cli(["resume", "--job-name", "doomed"]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /error: Owner resource does not exist: the destination container 'shop\/doomed'/,
    );
    // Created again, empty: what the checkpoints count as copied went with the old container, so the copy
    // starts over (carrying on from them would leave the target short).
    const recreated = await container(shop, "doomed");
    const resumed = await cli(["resume", "--job-name", "doomed", "-o", "json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const { properties } = JSON.parse(resumed.stdout);
    assert.equal(properties.status, "Pending");
    assert.equal(properties.error, undefined);
    assert.equal(properties.processedCount, 0, "started over");
    const watched = await cli(["show", "--job-name", "doomed", "--watch", "-o", "json"]);
    assert.equal(watched.code, 0, watched.stderr);
    const ended = JSON.parse(watched.stdout).properties;
    assert.equal(ended.status, "Completed");
    assert.equal(ended.processedCount, sourceItems);
    const [source, target] = await Promise.all([
      readAllItems(shop.container("orders")),
      readAllItems(recreated),
    ]);
    assert.equal(target.size, source.size);
    for (const [id, body] of source) assert.deepEqual(target.get(id), body, `item ${id}`);
  });

  it("delete removes the job's record and never its data", async function () {
    const deleted = await cli(["delete", "--job-name", "json-copy"]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Deleted copy job 'json-copy'; its containers and items are untouched/);
    const [shown, again] = await Promise.all([
      cli(["show", "--job-name", "json-copy"]),
      cli(["delete", "--job-name", "json-copy", "-o", "json"]),
    ]);
    for (const run of [shown, again]) {
      assert.equal(run.code, 1);
      assert.match(run.stderr, /No copy job named 'json-copy' exists in this account\. List jobs/);
    }
    assert.equal(await countItems(shop.container("json-copy")), sourceItems);
    assert.equal(await countItems(shop.container("orders")), sourceItems);
  });

  it("copy-database creates no job while any target container is missing, naming each; then one job per container", async function () {
    const { database: source } = await cosmos.client.databases.create({ id: "crm" });
    const { database: target } = await cosmos.client.databases.create({ id: "crm-v2" });
    for (const id of ["accounts", "contacts", "leads"]) {
      await seedContainer(await container(source, id), { count: 100, partitionKeys: 10, idPrefix: id });
    }
    await container(target, "accounts");
    const copy = ["copy-database", "--src-database", "crm", "--dest-database", "crm-v2"];

    const refused = await cli(copy);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /Owner resource does not exist: the destination database 'crm-v2' has no container 'contacts', 'leads'/,
    );
    assert.match(refused.stderr, /No jobs were created\. Create each of them in 'crm-v2' first/);
    assert.ok(!(await cli(["list", "-o", "tsv"])).stdout.includes("crm-to-crm-v2"));

    await container(target, "contacts");
    await container(target, "leads");
    const run = await cli([...copy, "--wait", "-o", "json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      JSON.parse(run.stdout).map((job: { name: string; properties: { status: string } }) => [
        job.name,
        job.properties.status,
      ]),
      ["accounts", "contacts", "leads"].map((id) => [`crm-to-crm-v2-${id}`, "Completed"]),
    );
    for (const id of ["accounts", "contacts", "leads"])
      assert.equal(await countItems(target.container(id)), 100);
  });

  it("trusts an HTTPS endpoint's certificate with --ca-file; without it, the error names the fix", async function () {
    if (usingExternalEndpoint) this.skip();
    const dataDir = tempDir("cosmos-copy-tls");
    const emulator = await startEmulator({ dataDir, key });
    try {
      const caFile = path.join(dataDir, "ca.pem");
      fs.writeFileSync(caFile, emulator.certificate as string);
      const tls = { COSMOS_ENDPOINT: emulator.endpoint };
      const [untrusted, trusted, insecure, entra] = await Promise.all([
        cli(["list"], tls),
        cli(["list", "--ca-file", caFile], tls),
        cli(["list", "--insecure-tls"], tls),
        cli(["list", "--ca-file", caFile, "--auth", "aad"], { ...tls, COSMOS_KEY: "" }),
      ]);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /certificate.*--ca-file <pem>/);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.equal(trusted.stdout, "No copy jobs in this account.\n");
      assert.equal(trusted.stderr, "");
      assert.equal(insecure.code, 0, insecure.stderr);
      assert.match(insecure.stderr, /warning: --insecure-tls turns off certificate checks/);
      // No Entra ID sign-in here (and the emulator takes keys only): a service error, not a crash.
      assert.equal(entra.code, 1);
      assert.match(entra.stderr, /^error: /);
    } finally {
      await emulator.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("never prints the account key, nor do the background workers it started", function () {
    assert.ok(printed.length > 50, `${printed.length} outputs captured`);
    for (const output of printed) assert.ok(!output.includes(key), "the key appeared in the output");
    const logs = fs
      .readdirSync(workerLogDirectory())
      .map((name) => path.join(workerLogDirectory(), name))
      .filter((file) => fs.statSync(file).mtimeMs >= startedAt);
    assert.ok(logs.length > 0, "background workers were started");
    for (const log of logs) assert.ok(!fs.readFileSync(log, "utf8").includes(key), `the key is in ${log}`);
  });
});
