import type { Container } from "@azure/cosmos";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CopyJobs } from "../engine";
import { cliEnvironment, runCli, stopBackgroundWorkers, type CliRun } from "./support/cli-process";
import { openEndpoint, tempDir, type TestEndpoint } from "./support/cosmos-endpoint";
import { assertTransformedItems, referenceTransform } from "./support/same-items";
import { seedTenants, syntheticKeyModule } from "./support/tenants";

/**
 * `cosmos-copy create --transform ./module.js#export`: the module path is resolved against the CLI's
 * current directory, `--dry-run` checks it (and refuses a bad one as a command line to fix), and the job
 * copies through it, reporting what it skipped in `show -o json`.
 */
const items = 900;
const keysModule = `${syntheticKeyModule}
// Users of tenant-0 stay behind.
exports.withoutTenant0 = (item) => (item.tenantId === "tenant-0" ? undefined : exports.transform(item));
`;

describe("cosmos-copy CLI: create --transform", function () {
  this.timeout(300_000);
  const key = randomBytes(64).toString("base64");
  const printed: string[] = [];
  let cosmos: TestEndpoint;
  let env: NodeJS.ProcessEnv;
  let cwd: string;
  let source: Container;
  let target: Container;

  /** `cosmos-copy args`, run in the directory that holds the transform module. */
  function cli(args: string[]): Promise<CliRun> {
    return runCli(args, env, printed, cwd);
  }

  /** `create` of the job copying by-tenant → by-user through `transform`, with `options`. */
  function create(transform: string, ...options: string[]): Promise<CliRun> {
    return cli([
      "create",
      "--job-name",
      "by-user",
      ...["--src-nosql", "database=tenants", "container=by-tenant"],
      ...["--dest-nosql", "database=tenants", "container=by-user"],
      ...["--transform", transform],
      ...options,
    ]);
  }

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 2, key });
    env = cliEnvironment(cosmos);
    cwd = tempDir("cli-transform");
    fs.writeFileSync(path.join(cwd, "keys.js"), keysModule);
    const { database } = await cosmos.client.databases.create({ id: "tenants" });
    ({ container: source } = await database.containers.create({
      id: "by-tenant",
      partitionKey: { paths: ["/tenantId"] },
      throughput: 20000,
    }));
    ({ container: target } = await database.containers.create({
      id: "by-user",
      partitionKey: { paths: ["/tenantUser"] },
      throughput: 20000,
    }));
    await seedTenants(source, items);
  });

  after(async function () {
    if (!cosmos) return;
    await stopBackgroundWorkers(cosmos.client);
    await cosmos.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    assert.ok(!printed.join("").includes(key), "no key in anything the CLI printed");
  });

  it("--dry-run refuses a module without the export, naming the resolved path and the export, and creates nothing", async function () {
    const run = await create("./keys.js#nope", "--dry-run");
    assert.equal(run.code, 2, run.stderr);
    assert.ok(
      run.stderr.includes(`'${path.join(cwd, "keys.js")}' has no function export 'nope'`),
      run.stderr,
    );
    assert.match(run.stderr, /function exports: transform, withoutTenant0/);
    const jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    try {
      assert.equal(await jobs.find("by-user"), undefined);
    } finally {
      jobs.dispose();
    }
  });

  it("--dry-run analyses the copy through the transform: the items it would skip", async function () {
    const run = await create("keys.js#withoutTenant0", "--dry-run", "-o", "json");
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout);
    const expected = [...Array(items).keys()].filter((index) => index % 40 === 0).length;
    assert.equal(plan.analysis.itemsSkipped, expected);
  });

  it("copies through the transform, and show -o json reports it and the items it skipped", async function () {
    const run = await create("./keys.js#withoutTenant0", "--wait", "-o", "json");
    assert.equal(run.code, 0, run.stderr);
    const counts = await assertTransformedItems(
      source,
      target,
      referenceTransform(path.join(cwd, "keys.js"), "withoutTenant0"),
    );
    const show = await cli(["show", "--job-name", "by-user", "-o", "json"]);
    assert.equal(show.code, 0, show.stderr);
    for (const job of [JSON.parse(run.stdout), JSON.parse(show.stdout)]) {
      const { properties } = job;
      assert.equal(properties.status, "Completed", JSON.stringify(properties.error));
      assert.equal(properties.transform.module, path.join(cwd, "keys.js"));
      assert.equal(properties.transform.exportName, "withoutTenant0");
      assert.match(properties.transform.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(
        [properties.processedCount, properties.skippedCount, properties.totalCount],
        [counts.written, counts.skipped, items],
      );
      assert.equal(properties.verification.matched, true);
    }
  });
});
