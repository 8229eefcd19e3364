import { ChangeFeedPolicy, ChangeFeedRetentionTimeSpan, type Container, type Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CopyJobs } from "../engine";
import {
  cliBin,
  cliEnvironment,
  runCli,
  startProcess,
  stopBackgroundWorkers,
  type CliRun,
} from "./support/cli-process";
import { openEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { assertSameItems } from "./support/same-items";
import { seedContainer } from "./support/seed";
import { SteadyWriter } from "./support/steady-writer";
import { until } from "./support/until";

/**
 * `cosmos-copy` on online jobs, as users run it: `create --mode Online` while an application writes to the
 * source, `show` while the job tails its changes, `complete --wait` to cut over. Its own endpoint: an online
 * job holds the account's job slot until it completes, which would hold up the other CLI suite's jobs.
 */
const seeded = 2000;
const partitionKeys = 50;

describe("cosmos-copy CLI: online copies", function () {
  const key = randomBytes(64).toString("base64");
  const printed: string[] = [];
  let cosmos: TestEndpoint;
  let shop: Database;
  let jobs: CopyJobs;
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[]): Promise<CliRun> => runCli(args, env, printed);
  const containerArgs = (flag: string, container: string) => [
    flag,
    "database=shop",
    `container=${container}`,
  ];

  async function container(id: string, partitionKey: string, changeFeed = false): Promise<Container> {
    const policy = changeFeed
      ? { changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60)) }
      : {};
    return (
      await shop.containers.create({
        id,
        partitionKey: { paths: [partitionKey] },
        throughput: 20000,
        ...policy,
      })
    ).container;
  }

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 2, key });
    jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    env = cliEnvironment(cosmos);
    ({ database: shop } = await cosmos.client.databases.create({ id: "shop" }));
  });

  after(async function () {
    jobs?.dispose();
    if (!cosmos) return;
    await stopBackgroundWorkers(cosmos.client);
    await cosmos.stop();
  });

  it("create --mode Online refuses a source without a change feed policy, naming it and the fix, touching nothing", async function () {
    const source = await container("plain", "/pk");
    const target = await container("plain-copy", "/customerId");
    await seedContainer(source, { count: 100, partitionKeys });
    const run = await cli([
      "create",
      "--job-name",
      "plain-copy",
      "--mode",
      "Online",
      ...containerArgs("--src-nosql", "plain"),
      ...containerArgs("--dest-nosql", "plain-copy"),
      "--wait",
    ]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /source container 'shop\/plain' .*no change feed policy/);
    assert.match(run.stderr, /ChangeFeedPolicy\(ChangeFeedRetentionTimeSpan\.fromMinutes\(60\)\)/);
    assert.match(run.stderr, /or copy it in Offline mode/);
    assert.equal(await jobs.find("plain-copy"), undefined, "no job was recorded");
    const { resources } = await target.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
    assert.equal(resources[0], 0, "nothing was written to the target");
  });

  it("refuses a mode it does not know, listing the modes; complete --wait on an offline job errors at once", async function () {
    const bad = await cli([
      "create",
      "--job-name",
      "x",
      "--mode",
      "online",
      ...containerArgs("--src-nosql", "a"),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /argument 'online' is invalid. Allowed choices are Offline, Online/);

    await container("offline-copy", "/customerId");
    await jobs.create(
      {
        name: "offline-copy",
        mode: "Offline",
        source: { database: "shop", container: "plain" },
        destination: { database: "shop", container: "offline-copy" },
      },
      { startWorker: false },
    );
    const complete = await cli(["complete", "--job-name", "offline-copy", "--wait"]);
    assert.equal(complete.code, 1);
    assert.match(complete.stderr, /Cannot complete job 'offline-copy': it runs in Offline mode/);
    await jobs.delete("offline-copy");
  });

  it("create --mode Online --wait returns once the job tails the writes; show gives its phase and lag; complete --wait (and show --watch) follow it to an exact end", async function () {
    // Four CLI processes, their workers, a writer and the endpoint share the machine: on a loaded one the
    // first pass, the tail and the closing check can take minutes, past the suite's 120 s default.
    this.timeout(600_000);
    const source = await container("events", "/pk", true);
    const target = await container("events-copy", "/customerId");
    await seedContainer(source, { count: seeded, partitionKeys, itemBytes: 200 });
    const live = Array.from({ length: seeded }, (_, index) => ({
      id: `item-${index}`,
      pk: `customer-${index % partitionKeys}`,
    }));
    const writer = new SteadyWriter(source, live, 100);
    writer.start();

    const created = await cli([
      "create",
      "--job-name",
      "events-copy",
      "--mode",
      "Online",
      ...containerArgs("--src-nosql", "events"),
      ...containerArgs("--dest-nosql", "events-copy"),
      "--page-size",
      "200",
      "--wait",
      "-o",
      "json",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const resource = JSON.parse(created.stdout) as {
      properties: { mode: string; status: string; online: { phase: string } };
    };
    assert.deepEqual(
      [resource.properties.mode, resource.properties.status, resource.properties.online.phase],
      ["Online", "Running", "Tailing"],
    );
    // The progress lines name the first pass, then the phase instead of speed and ETA.
    assert.match(
      created.stderr,
      /events-copy: (Pending|Running) \d+\/\d+ items \(\d+%\), InitialCopy, \d+ items\/s, ETA/,
    );
    assert.match(
      created.stderr,
      /events-copy: Running \d+\/\d+ items \(\d+%\), Tailing, \d+ changes applied, lag \d+ changes \/ \d+ s\n/,
    );
    assert.match(created.stderr, /keeps applying its changes in the background until you complete it/);
    assert.match(created.stderr, /cosmos-copy complete --job-name events-copy --wait/);

    // The writer goes on while the job tails: its changes reach the target.
    const tailing = (await jobs.get("events-copy")).online?.appliedChanges ?? 0;
    await until(
      () => jobs.get("events-copy"),
      (job) => (job.online?.appliedChanges ?? 0) >= tailing + 100 && job.online?.lag !== undefined,
      "100 changes applied while tailing",
    );
    const [table, json, tsv] = await Promise.all([
      cli(["show", "--job-name", "events-copy"]),
      cli(["show", "--job-name", "events-copy", "-o", "json"]),
      cli(["show", "--job-name", "events-copy", "-o", "tsv"]),
    ]);
    assert.equal(table.code, 0, table.stderr);
    const [header, , row] = table.stdout.split("\n");
    assert.match(header, /Mode .*Phase\s+AppliedChanges\s+LagChanges\s+LagSeconds$/);
    assert.match(row, /^events-copy\s+Running .*Online .*Tailing\s+\d+\s+\d+\s+\d+$/);
    const { online } = (JSON.parse(json.stdout) as { properties: { online: Record<string, unknown> } })
      .properties;
    assert.equal(online.phase, "Tailing");
    assert.ok((online.appliedChanges as number) >= tailing + 100, JSON.stringify(online));
    const lag = online.lag as { changes: number; seconds: number };
    assert.ok(Number.isInteger(lag.changes) && lag.seconds >= 0, JSON.stringify(lag));
    assert.match(tsv.stdout, /\tOnline\t.*\tTailing\t\d+\t\d+\t\d+\n$/);

    // show --watch follows an online job past tailing, to its end.
    const watching = startProcess(
      process.execPath,
      [cliBin, "show", "--job-name", "events-copy", "--watch"],
      env,
      printed,
    );
    const tailingLine = /events-copy: Running .*, Tailing, \d+ changes applied, lag /;
    await until(
      async () => watching.output.stderr,
      (stderr) => tailingLine.test(stderr),
      "show --watch to show the job tailing",
    );
    const counts = await writer.stop();
    assert.ok(counts.created > 0 && counts.replaced > 0 && counts.deleted > 0, JSON.stringify(counts));
    const completed = await cli(["complete", "--job-name", "events-copy", "--wait", "-o", "json"]);
    assert.equal(completed.code, 0, completed.stderr);
    const ended = JSON.parse(completed.stdout) as {
      properties: { status: string; verification: { matched: boolean }; online: { appliedChanges: number } };
    };
    assert.equal(ended.properties.status, "Completed");
    assert.equal(ended.properties.verification.matched, true);
    assert.match(completed.stderr, /events-copy: Running .*, Completing, \d+ changes applied/);
    assert.match(completed.stderr, /events-copy: Completed \d+\/\d+ items \(\d+%\), \d+ changes applied\n/);
    assert.equal(await watching.done, 0, watching.output.stderr);
    assert.match(watching.output.stdout, /\nevents-copy\s+Completed\s/);
    const total = await assertSameItems(source, target, counts.deletedIds);
    assert.equal(total, seeded + counts.created - counts.deleted);
  });

  it("never prints the account key", function () {
    assert.ok(!printed.join("\n").includes(key));
  });
});
