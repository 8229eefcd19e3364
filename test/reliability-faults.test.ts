import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import type { FaultRules } from "../emulator";
import { CopyJobs, CopyWorker, stateDatabaseId, type AccountConnection } from "../engine";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import { readAllItems, seedContainer } from "./support/seed";

/**
 * Copies under the faults a real account throws at a client: 429 storms, 503s, connection resets and 2 s
 * latency spikes, injected into every data-plane request (state documents included). Each copy must
 * complete with nothing lost and nothing duplicated.
 */
const items = 2000;

const scenarios: { name: string; faults: FaultRules }[] = [
  {
    name: "a 429 storm (60% of requests throttled)",
    faults: { throttleRate: 0.6, throttleRetryAfterMs: 50, durationMs: 4000 },
  },
  {
    name: "503 ServiceUnavailable on 15% of requests",
    faults: { serviceUnavailableRate: 0.15, durationMs: 4000 },
  },
  { name: "connection resets on 10% of requests", faults: { connectionResetRate: 0.1, durationMs: 4000 } },
  {
    name: "2 s latency spikes on 5% of requests",
    faults: { latencyMs: 2000, latencyRate: 0.05, durationMs: 6000 },
  },
];

describe("reliability: copies through injected faults", function () {
  let cosmos: TestEndpoint;
  let connection: AccountConnection;
  let database: Database;
  let source: Container;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // faults are injected through cosmos-emulator's admin controls
    cosmos = await openEndpoint({ http: true, partitions: 4 });
    connection = { endpoint: cosmos.endpoint, key: cosmos.key };
    ({ database } = await cosmos.client.databases.create({ id: "faults" }));
    ({ container: source } = await database.containers.create({
      id: "src",
      partitionKey: { paths: ["/pk"] },
      throughput: 100000,
    }));
    await seedContainer(source, { count: items, partitionKeys: 80, itemBytes: 500 });
  });

  after(async function () {
    await cosmos?.stop();
  });

  scenarios.forEach(({ name, faults }, index) => {
    it(`completes through ${name}: 0 lost, 0 duplicated`, async function () {
      const target = (
        await database.containers.create({
          id: `dst-${index}`,
          partitionKey: { paths: ["/category"] },
          throughput: 100000,
        })
      ).container;
      const jobs = CopyJobs.connect(connection);
      try {
        await jobs.create(
          {
            name: `faults-${index}`,
            source: { database: "faults", container: "src" },
            destination: { database: "faults", container: target.id },
            options: { pageSize: 100 },
          },
          { startWorker: false },
        );
        await cosmos.admin!.setFaults(faults);
        const worker = new CopyWorker({ connection, idleTimeoutMs: 1000, pollIntervalMs: 100 });
        await worker.run();
        await cosmos.admin!.clearFaults();
        const job = await jobs.get(`faults-${index}`);
        assert.equal(job.status, "Completed", JSON.stringify(job.error));
        assert.equal(job.processedCount, items);
        assert.equal(job.verification?.matched, true);
        const { resources } = await target.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
        assert.deepEqual(resources, [items], "no item duplicated");
        assert.equal((await readAllItems(target)).size, items, "no item lost");
      } finally {
        await cosmos.admin!.clearFaults();
        jobs.dispose();
        await cosmos.client
          .database(stateDatabaseId)
          .delete()
          .catch(() => undefined);
      }
    });
  });
});
