import type { Container, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { estimatePlan } from "../engine/copy-plan";
import { documentsSizeBytes, planSampleSize, type SourceMeasurement } from "../engine/source-measurement";
import {
  CopyJobs,
  CopyWorker,
  describePlan,
  stateDatabaseId,
  type AccountConnection,
  type CopyPlan,
  type JobSpec,
} from "../engine";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { makeItem, seedContainer, type SeedOptions } from "./support/seed";
import { expectFailure } from "./support/expect-failure";

/**
 * Planning a copy (`CopyJobs.plan`) against a Cosmos DB endpoint through the official SDK: what it measures,
 * how its estimates follow the throughput, and that it writes nothing — no job, no item, not even the state
 * database. The estimates' arithmetic is checked on its own first.
 */
const seeded: SeedOptions = { count: 2000, partitionKeys: 50, itemBytes: 300 };
const targetThroughput = 1000;

async function countOf(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
  return resources[0];
}

describe("copy plan", function () {
  describe("estimates", function () {
    const measured: SourceMeasurement = {
      itemCount: 10_000,
      countCharge: 3,
      sizeBytes: 10_000 * 900,
      sizeFrom: "sample",
      sampledItems: 50,
      feedChargePerItem: 0.5,
      pointReadCharge: 1,
      requestCharge: 80,
    };

    it("prices writes at five point reads of the item, reads as measured, verification by its mode", function () {
      const sampled = estimatePlan(measured, { effectiveRequestUnitsPerSecond: 1000 }, "sampled");
      assert.equal(sampled.estimatedWriteRequestUnits, 50_000);
      assert.equal(sampled.estimatedReadRequestUnits, 5_003);
      // Both sides counted, 200 items sampled from the source's change feed and point-read in the target.
      assert.equal(sampled.estimatedVerificationRequestUnits, 306);
      assert.equal(sampled.estimatedRequestUnits, 55_309);
      const full = estimatePlan(measured, { effectiveRequestUnitsPerSecond: 1000 }, "full");
      // The source counted, the whole target read through its change feed.
      assert.equal(full.estimatedVerificationRequestUnits, 5_003);
    });

    it("takes as long as the slower side, then verifies at the target's rate; no target rate, no time", function () {
      const at = (effective?: number, source?: number) =>
        estimatePlan(
          measured,
          { effectiveRequestUnitsPerSecond: effective, sourceRequestUnitsPerSecond: source },
          "sampled",
        ).estimatedSeconds;
      assert.equal(at(1000), 50.3);
      assert.equal(at(500), 100.6);
      assert.equal(at(1000, 100_000), 50.3, "a fast source bounds nothing");
      assert.equal(at(1000, 50), 100.4, "reads at 50 RU/s take longer than the writes");
      assert.equal(at(undefined, 100_000), undefined);
    });

    it("reads the service's documentsSize (KB) from the usage header, ignoring a 0 or missing one", function () {
      const usage =
        "functions=0;storedProcedures=0;triggers=0;documentSize=1;documentsSize=2048;documentsCount=1000;collectionSize=2304";
      assert.equal(documentsSizeBytes(usage), 2048 * 1024);
      assert.equal(documentsSizeBytes("documentsSize=0;documentsCount=1000"), undefined);
      assert.equal(documentsSizeBytes(undefined), undefined);
    });
  });

  describe("against an endpoint", function () {
    let cosmos: TestEndpoint;
    let connection: AccountConnection;
    let jobs: CopyJobs;
    let database: Database;
    let source: Container;
    let target: Container;
    let spec: JobSpec;

    before(async function () {
      cosmos = await openEndpoint({ http: true, partitions: 2 });
      connection = { endpoint: cosmos.endpoint, key: cosmos.key };
      jobs = CopyJobs.connect(connection);
      ({ database } = await cosmos.client.databases.create({ id: uniqueName("plan") }));
      const create = async (id: string, throughput?: number) =>
        (await database.containers.create({ id, partitionKey: { paths: ["/pk"] }, throughput })).container;
      source = await create("orders", 100_000);
      target = await create("orders-v2", targetThroughput);
      await seedContainer(source, seeded);
      spec = {
        name: "plan-orders",
        source: { database: database.id, container: "orders" },
        destination: { database: database.id, container: "orders-v2" },
      };
    });

    after(async function () {
      jobs?.dispose();
      await database?.delete().catch(() => undefined);
      await cosmos?.client
        .database(stateDatabaseId)
        .delete()
        .catch(() => undefined);
      await cosmos?.stop();
    });

    async function stateDatabaseExists(): Promise<boolean> {
      const databases = await cosmos.client.databases.readAll().fetchAll();
      return databases.resources.some((d) => d.id === stateDatabaseId);
    }

    /** RU the endpoint charged to a container's documents (local emulator only). */
    async function chargedTo(container: Container): Promise<number> {
      const link = `dbs/${database.id}/colls/${container.id}`;
      const statistics = await (cosmos.admin as NonNullable<TestEndpoint["admin"]>).statistics();
      return Object.entries(statistics)
        .filter(([path]) => path === link || path.startsWith(`${link}/`))
        .reduce((sum, [, entry]) => sum + entry.requestUnits, 0);
    }

    it("measures a seeded source: the exact count, a size near the true one, the target's throughput, its analysis and cost; writes nothing", async function () {
      // Other suites sharing an external account may have a state database; this one must not create it.
      const stateBefore = await stateDatabaseExists();
      await cosmos.admin?.resetStatistics();
      const plan = await jobs.plan(spec);

      assert.equal(plan.sourceItemCount, seeded.count);
      let trueBytes = 0;
      for (let i = 0; i < seeded.count; i++)
        trueBytes += Buffer.byteLength(JSON.stringify(makeItem(i, seeded)));
      const [low, high] = plan.sizeFrom === "sample" ? [0.8, 1.25] : [0.5, 4];
      assert.ok(
        plan.sourceSizeBytes >= trueBytes * low && plan.sourceSizeBytes <= trueBytes * high,
        `${plan.sourceSizeBytes} bytes (${plan.sizeFrom}) for ${trueBytes} serialized`,
      );
      // One page per feed range of an equal share, rounded up.
      assert.ok(plan.sampledItems >= planSampleSize, `${plan.sampledItems} items sampled`);
      assert.equal(plan.targetRequestUnitsPerSecond, targetThroughput);
      assert.equal(plan.effectiveRequestUnitsPerSecond, targetThroughput);
      assert.equal(plan.sourceRequestUnitsPerSecond, 100_000);
      assert.equal(
        plan.estimatedRequestUnits,
        plan.estimatedWriteRequestUnits +
          plan.estimatedReadRequestUnits +
          plan.estimatedVerificationRequestUnits,
      );
      assert.ok(plan.estimatedWriteRequestUnits >= seeded.count, "a write costs at least 1 RU an item");
      assert.ok(plan.planRequestCharge > 0);
      assert.match(
        describePlan(plan),
        /^plan-orders: .*\/orders → .*\/orders-v2, 2,000 items, [\d.]+ KB \(the service's figure\); ~[\d,]+ RU \(estimate\); ~[\d.]+ s at 1,000 RU\/s \(estimate\); plan cost \d+ RU; preflight analysis: 2,000 items read, [\d,]+ RU$/,
      );

      assert.equal(await stateDatabaseExists(), stateBefore, "the state database was not created");
      // The preflight analysis reads every source item once and counts the target.
      const analysis = plan.analysis!;
      assert.equal(analysis.itemsRead, seeded.count);
      assert.deepEqual(analysis.problems, []);
      if (cosmos.admin) {
        const [toTarget, toSource] = [await chargedTo(target), await chargedTo(source)];
        assert.ok(toTarget > 0 && toTarget < 10, `counting the target cost ${toTarget} RU`);
        const reported = plan.planRequestCharge + analysis.requestCharge;
        assert.ok(
          Math.abs(toSource + toTarget - reported) < 0.01,
          `the plan reports ${reported} RU, the containers were charged ${toSource + toTarget}`,
        );
      }
      assert.equal(await countOf(target), 0);
    });

    it("halving the RU cap doubles the time estimate; the RU estimate stays", async function () {
      const capped = (limit: NonNullable<JobSpec["options"]>["targetThroughputLimit"]) =>
        jobs.plan({ ...spec, options: { targetThroughputLimit: limit } });
      const [whole, half, quarter] = await Promise.all([
        capped(undefined),
        capped({ percentOfProvisioned: 50 }),
        capped({ requestUnitsPerSecond: targetThroughput / 4 }),
      ]);
      assert.equal(half.effectiveRequestUnitsPerSecond, targetThroughput / 2);
      assert.equal(quarter.effectiveRequestUnitsPerSecond, targetThroughput / 4);
      const seconds = (plan: CopyPlan) => plan.estimatedSeconds as number;
      assert.ok(Math.abs(seconds(half) / seconds(whole) - 2) < 0.02, `${seconds(half)} vs ${seconds(whole)}`);
      assert.ok(
        Math.abs(seconds(quarter) / seconds(whole) - 4) < 0.04,
        `${seconds(quarter)} vs ${seconds(whole)}`,
      );
      assert.match(describePlan(half), / at 500 RU\/s \(estimate\)/);
      for (const plan of [half, quarter]) {
        const change = plan.estimatedRequestUnits / whole.estimatedRequestUnits - 1;
        assert.ok(
          Math.abs(change) < 0.01,
          `RU estimate ${plan.estimatedRequestUnits} vs ${whole.estimatedRequestUnits}`,
        );
      }
      // A whole-throughput estimate is the target's RU over its RU/s (the fast source bounds nothing).
      const targetRequestUnits = whole.estimatedWriteRequestUnits + whole.estimatedVerificationRequestUnits;
      assert.ok(Math.abs(seconds(whole) - targetRequestUnits / targetThroughput) <= 0.1);
    });

    it("takes a target's throughput from its database's shared offer", async function () {
      const { database: shared } = await cosmos.client.databases.create({
        id: uniqueName("plan-shared"),
        throughput: 2000,
      });
      try {
        await shared.containers.create({ id: "orders", partitionKey: { paths: ["/pk"] } });
        const plan = await jobs.plan({ ...spec, destination: { database: shared.id, container: "orders" } });
        assert.equal(plan.targetRequestUnitsPerSecond, 2000);
        assert.equal(plan.effectiveRequestUnitsPerSecond, 2000);
      } finally {
        await shared.delete();
      }
    });

    it("refuses what create refuses, the same way, and writes nothing", async function () {
      const stateBefore = await stateDatabaseExists();
      const missing = await expectFailure(
        jobs.plan({ ...spec, destination: { database: database.id, container: "orders-v2-typo" } }),
      );
      assert.equal(missing.code, "OwnerResourceNotFound");
      assert.match(
        missing.message,
        /Owner resource does not exist.*orders-v2-typo.*Create the target container first/,
      );
      const same = await expectFailure(jobs.plan({ ...spec, destination: spec.source }));
      assert.equal(same.code, "InvalidJobSpec");
      assert.equal(await stateDatabaseExists(), stateBefore);
    });

    it("an estimate beside what the copy then spent (a comparison, not a bound)", async function () {
      if (!cosmos.admin) this.skip(); // what the copy spent is read from the local emulator's statistics
      const plan = await jobs.plan(spec);
      await cosmos.admin.resetStatistics();
      await jobs.create(spec, { startWorker: false });
      await new CopyWorker({ connection, workerId: "w1", idleTimeoutMs: 1500, pollIntervalMs: 100 }).run();
      const job = await jobs.get(spec.name);
      assert.equal(job.status, "Completed", JSON.stringify(job.error));
      const [writtenAndVerified, read] = await Promise.all([chargedTo(target), chargedTo(source)]);
      const estimated = plan.estimatedWriteRequestUnits + plan.estimatedVerificationRequestUnits;
      console.log(
        `      target: estimated ~${estimated} RU, spent ${writtenAndVerified}; ` +
          `source: estimated ~${plan.estimatedReadRequestUnits} RU, spent ${read}; ` +
          `time: estimated ~${plan.estimatedSeconds} s, ran ${(job.durationMs / 1000).toFixed(1)} s`,
      );
      // Loose on purpose: estimates, not measurements. The local endpoint prices by size alone, as the plan.
      assert.ok(writtenAndVerified > estimated / 2 && writtenAndVerified < estimated * 2);
      assert.ok(read > plan.estimatedReadRequestUnits / 3 && read < plan.estimatedReadRequestUnits * 3);
    });
  });

  describe("on a serverless account", function () {
    let cosmos: TestEndpoint;
    let jobs: CopyJobs;
    const serverlessSpec: JobSpec = {
      name: "serverless",
      source: { database: "shop", container: "orders" },
      destination: { database: "shop", container: "orders-v2" },
    };

    before(async function () {
      if (usingExternalEndpoint) this.skip(); // it needs an account of its own, without throughput
      cosmos = await openEndpoint({ http: true, serverless: true });
      jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key });
      const { database } = await cosmos.client.databases.create({ id: "shop" });
      for (const id of ["orders", "orders-v2"]) {
        await database.containers.create({ id, partitionKey: { paths: ["/pk"] } });
      }
      await seedContainer(database.container("orders"), { count: 100, partitionKeys: 10 });
    });

    after(async function () {
      jobs?.dispose();
      await cosmos?.stop();
    });

    it("says there is no provisioned throughput instead of estimating a time, unless the job has a cap", async function () {
      const plan = await jobs.plan(serverlessSpec);
      assert.equal(plan.sourceItemCount, 100);
      assert.equal(plan.targetRequestUnitsPerSecond, undefined);
      assert.equal(plan.estimatedSeconds, undefined);
      assert.ok(plan.estimatedRequestUnits > 0);
      assert.match(
        describePlan(plan),
        /time not estimated: the target has no provisioned throughput \(serverless\)/,
      );

      const capped = await jobs.plan({
        ...serverlessSpec,
        options: { targetThroughputLimit: { requestUnitsPerSecond: 100 } },
      });
      assert.equal(capped.effectiveRequestUnitsPerSecond, 100);
      assert.ok((capped.estimatedSeconds as number) > 0);
      const share = await expectFailure(
        jobs.plan({ ...serverlessSpec, options: { targetThroughputLimit: { percentOfProvisioned: 50 } } }),
      );
      assert.match(share.message, /no provisioned throughput \(serverless\)/);
      assert.ok(
        !(await cosmos.client.databases.readAll().fetchAll()).resources.some((d) => d.id === stateDatabaseId),
      );
    });
  });
});
