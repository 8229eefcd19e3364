import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyJobs } from "../engine";
import { BodyChecksum } from "../engine/documents";
import { badInputs, connectionFor, prepareBadInputAccount } from "./support/bad-inputs";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { seedContainer } from "./support/seed";

/**
 * Bad input through the engine API: one clear error per case that names the value and the fix, no job left
 * running, no data changed (jobs and both containers compared before and after). The same table runs
 * through the Pulumi resource (container-copy-job-bad-input.test.ts) and the CLI (cli.test.ts).
 */
async function snapshot(jobs: CopyJobs, containers: Container[]): Promise<string> {
  const sums: string[] = [];
  for (const container of containers) {
    const checksum = new BodyChecksum();
    const { resources } = await container.items.query<Record<string, unknown>>("SELECT * FROM c").fetchAll();
    resources.forEach((item) => checksum.add(item));
    sums.push(`${container.id}:${checksum.count}:${checksum.value}`);
  }
  const jobStates = (await jobs.list()).map((job) => `${job.name}:${job.status}:${job.processedCount}`);
  return JSON.stringify({ sums, jobStates });
}

describe("reliability: bad input through the engine API", function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let jobs: CopyJobs;
  let baseline: string;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // the wrong-key and unreachable cases assume the local emulator
    cosmos = await openEndpoint({ http: true });
    ({ database, jobs } = await prepareBadInputAccount(cosmos));
    await seedContainer(database.container("orders"), { count: 300, partitionKeys: 20 });
    baseline = await snapshot(jobs, [database.container("orders"), database.container("orders-v2")]);
  });

  after(async function () {
    jobs?.dispose();
    await cosmos?.stop();
  });

  it(`has at least 25 cases (${badInputs.length})`, function () {
    assert.ok(badInputs.length >= 25);
  });

  for (const badInput of badInputs) {
    it(`refuses ${badInput.name}, naming the value and the fix`, async function () {
      let error: Error | undefined;
      let client: CopyJobs | undefined;
      try {
        client = CopyJobs.connect(connectionFor(cosmos, badInput.connection));
        await client.create(badInput.spec, { startWorker: false });
      } catch (caught) {
        error = caught as Error;
      } finally {
        client?.dispose();
      }
      assert.ok(error, "the engine refused the input");
      assert.match(error.message, badInput.names);
      assert.match(error.message, badInput.fix);
      assert.ok(!error.message.includes(cosmos.key), "the error does not hold the key");
    });
  }

  it("left no job running and changed no data", async function () {
    const after = await snapshot(jobs, [database.container("orders"), database.container("orders-v2")]);
    assert.equal(after, baseline);
    assert.ok((await jobs.list()).every((job) => job.status !== "Running" && job.status !== "Pending"));
  });
});
