import assert from "node:assert/strict";
import { CopyJobs, maxRecopiedItems, stateDatabaseId } from "../engine";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";
import { startWorkerProcess, writesTaken } from "./support/worker-process";

/**
 * A worker process killed with SIGKILL mid-copy and started again loses nothing, and re-copies at most the
 * pages each feed range had in flight. Re-copies are counted from the target's own write sequence numbers.
 */
describe("copy engine: worker killed with SIGKILL mid-copy", function () {
  let cosmos: TestEndpoint;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // re-copies are counted from cosmos-emulator's partition LSNs
    cosmos = await openEndpoint({ http: true, partitions: 4 });
  });

  after(async function () {
    await cosmos?.stop();
  });

  it("restarts to the same end state: nothing lost, at most the pages in flight per range re-copied", async function () {
    const { database } = await cosmos.client.databases.create({ id: "crash" });
    const { container: source } = await database.containers.create({
      id: "src",
      partitionKey: { paths: ["/pk"] },
      throughput: 100000,
    });
    const { container: target } = await database.containers.create({
      id: "dst",
      partitionKey: { paths: ["/category"] },
      throughput: 3000,
    });
    await seedContainer(source, { count: 6000, partitionKeys: 300, itemBytes: 800 });
    const pageSize = 100;
    const jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
    try {
      await jobs.create(
        {
          name: "crash",
          source: { database: "crash", container: "src" },
          destination: { database: "crash", container: "dst" },
          options: { pageSize },
        },
        { startWorker: false },
      );
      const first = startWorkerProcess(cosmos, "crashy");
      let job = await jobs.get("crash");
      while (job.processedCount < 1500) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = await jobs.get("crash");
      }
      await first.kill();
      const atKill = await jobs.get("crash");
      assert.equal(atKill.status, "Running");
      assert.ok(atKill.processedCount < 6000, "killed mid-copy");

      const second = startWorkerProcess(cosmos, "crashy");
      assert.equal(await second.exited(), 0);
      job = await jobs.get("crash");
      assert.equal(job.status, "Completed", JSON.stringify(job.error));
      assert.equal(job.processedCount, 6000);
      assert.equal(job.verification?.matched, true);

      const [sourceItems, targetItems] = await Promise.all([readAllItems(source), readAllItems(target)]);
      assert.equal(targetItems.size, 6000);
      for (const [id, body] of sourceItems) assert.deepEqual(targetItems.get(id), body);
      const ranges = (await source.getFeedRanges()).length;
      const recopied = (await writesTaken(target)) - 6000;
      const bound = maxRecopiedItems(pageSize, ranges);
      assert.ok(
        recopied >= 0 && recopied <= bound,
        `re-copied ${recopied} items, at most ${bound} allowed (pages of ${pageSize}, ${ranges} ranges)`,
      );
      process.stdout.write(
        `      re-copied after SIGKILL: ${recopied} items (bound ${bound}: pages of ${pageSize}, ${ranges} ranges)\n`,
      );
    } finally {
      jobs.dispose();
      await cosmos.client
        .database(stateDatabaseId)
        .delete()
        .catch(() => undefined);
    }
  });
});
