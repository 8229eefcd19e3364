import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyJobs, maxRecopiedItems, stateDatabaseId } from "../engine";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";
import { startWorkerProcess, writesTaken } from "./support/worker-process";
import { seededRandom } from "./support/random";

/**
 * Crash trials: a worker process is killed with SIGKILL at a random moment of a copy (sometimes before it
 * starts copying, sometimes mid-page, sometimes after it finished), then started again. Every trial must
 * end with the target equal to the source (ids and bodies), processedCount exact, and at most one page
 * per feed range written twice.
 */
const trials = 20;
const items = 1000;
const pageSize = 50;

describe(`reliability: ${trials} SIGKILL crash trials`, function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let source: Container;
  let sourceItems: Map<string, Record<string, unknown>>;
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
  const next = seededRandom(seed);

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // re-copies are counted from cosmos-emulator's partition LSNs
    cosmos = await openEndpoint({ http: true, partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: "crash-trials" }));
    ({ container: source } = await database.containers.create({
      id: "src",
      partitionKey: { paths: ["/pk"] },
      throughput: 100000,
    }));
    await seedContainer(source, { count: items, partitionKeys: 100, itemBytes: 600 });
    sourceItems = await readAllItems(source);
    process.stdout.write(`      crash seed ${seed} (replay with CRASH_SEED=${seed})\n`);
  });

  after(async function () {
    await cosmos?.stop();
  });

  for (let trial = 1; trial <= trials; trial++) {
    it(`trial ${trial}: killed at a random moment, restarted, exact`, async function () {
      const target = (
        await database.containers.create({
          id: `dst-${trial}`,
          partitionKey: { paths: ["/category"] },
          throughput: 2000,
        })
      ).container;
      const jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
      try {
        const name = `trial-${trial}`;
        await jobs.create(
          {
            name,
            source: { database: database.id, container: "src" },
            destination: { database: database.id, container: target.id },
            options: { pageSize },
          },
          { startWorker: false },
        );
        // A worker needs about a second to start copying and two more to finish: kill anywhere in that span.
        const killAfterMs = Math.round(100 + next() * 3400);
        const doomed = startWorkerProcess(cosmos, `worker-${trial}`);
        await new Promise((resolve) => setTimeout(resolve, killAfterMs));
        await doomed.kill();
        const atKill = (await jobs.get(name)).processedCount;

        assert.equal(await startWorkerProcess(cosmos, `worker-${trial}`).exited(), 0);
        const job = await jobs.get(name);
        assert.equal(job.status, "Completed", `killed after ${killAfterMs} ms: ${JSON.stringify(job.error)}`);
        assert.equal(job.processedCount, items);
        const targetItems = await readAllItems(target);
        assert.equal(targetItems.size, items);
        for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body, `item ${id}`);
        const ranges = (await source.getFeedRanges()).length;
        const recopied = (await writesTaken(target)) - items;
        const bound = maxRecopiedItems(pageSize, ranges);
        assert.ok(
          recopied <= bound,
          `killed after ${killAfterMs} ms: re-copied ${recopied} > ${bound} (pages of ${pageSize}, ${ranges} ranges)`,
        );
        process.stdout.write(
          `      killed after ${killAfterMs} ms with ${atKill}/${items} in the job record; re-copied ${recopied} (bound ${bound})\n`,
        );
      } finally {
        jobs.dispose();
        await target.delete();
        await cosmos.client
          .database(stateDatabaseId)
          .delete()
          .catch(() => undefined);
      }
    });
  }
});
