import {
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  type Container,
  type Database,
  type JSONObject,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import {
  CopyJobs,
  CopyWorker,
  isTailing,
  terminalStatuses,
  type AccountConnection,
  type Differences,
  type JobSpec,
} from "../engine";
import type { ItemTransform } from "../engine/item-transform";
import { diagnoseMismatch, differenceSampleSize } from "../engine/mismatch-diagnosis";
import { ThroughputPacer } from "../engine/throughput-pacer";
import type { VerificationMode } from "../engine/types";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { makeItem, readAllItems, seedContainer, upsertBatch, type SeedOptions } from "./support/seed";
import { until } from "./support/until";

/**
 * What a failed closing check names: the items the target lacks, holds without a source item, holds with
 * another body, and the target keys several source items collapse onto. The diagnosis on its own against
 * containers the test arranges, then through real jobs whose target cannot match: offline in both check
 * modes, and online.
 */
const seed: SeedOptions = { count: 300, partitionKeys: 30, itemBytes: 300 };
const byCategory = { paths: ["/category"] };

describe("mismatch diagnosis", function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let source: Container;

  before(async function () {
    cosmos = await openEndpoint({ http: true, partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("diagnose") }));
    ({ container: source } = await database.containers.create({
      id: "source",
      partitionKey: { paths: ["/pk"] },
      throughput: 10_000,
    }));
    await seedContainer(source, seed);
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  /** A container partitioned by category holding `documents`. */
  async function targetWith(documents: Record<string, unknown>[]): Promise<Container> {
    const { container } = await database.containers.create({
      id: uniqueName("target"),
      partitionKey: byCategory,
      throughput: 10_000,
    });
    // A bulk call takes at most 100 operations per partition.
    for (let start = 0; start < documents.length; start += 100) {
      await upsertBatch(container, documents.slice(start, start + 100) as JSONObject[]);
    }
    return container;
  }

  /** A source partitioned by /pk holding `documents` and a hundred seeded items, with an all-versions feed. */
  async function twinsSource(documents: JSONObject[]): Promise<Container> {
    const { container } = await database.containers.create({
      id: uniqueName("twins"),
      partitionKey: { paths: ["/pk"] },
      throughput: 10_000,
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60)),
    });
    await seedContainer(container, { ...seed, count: 100 });
    await upsertBatch(container, documents);
    return container;
  }

  /** A container's bodies as a copy writes them (one per id). */
  async function bodiesOf(container: Container): Promise<Record<string, unknown>[]> {
    return [...(await readAllItems(container)).values()];
  }

  function diagnose(target: Container, transform?: ItemTransform, from = source) {
    return diagnoseMismatch({
      source: from,
      target,
      targetKey: byCategory,
      pageSize: 50,
      targetPacer: new ThroughputPacer(10_000),
      transform,
    });
  }

  function counts(differences: Differences): number[] {
    const { missing, extra, changed, collisions } = differences;
    return [missing.count, extra.count, changed.count, collisions.count];
  }

  it("finds nothing between a faithful copy under another partition key and its source", async function () {
    const differences = await diagnose(await targetWith(await bodiesOf(source)));
    assert.deepEqual(counts(differences), [0, 0, 0, 0]);
    assert.ok(differences.requestCharge > 0, "reading both sides is charged");
  });

  it("names items missing from, added to and changed in the target, by id and the target's key", async function () {
    const [gone, edited] = [makeItem(7, seed), makeItem(8, seed)];
    const bodies = (await bodiesOf(source)).filter((item) => item.id !== gone.id);
    const target = await targetWith(bodies);
    await target.items.create({ id: "stray", category: "nowhere" });
    await target.items.upsert({ ...edited, total: -1 });
    const differences = await diagnose(target);
    assert.deepEqual(counts(differences), [1, 1, 1, 0]);
    assert.deepEqual(differences.missing.sample, [{ id: gone.id, partitionKey: gone.category }]);
    assert.deepEqual(differences.extra.sample, [{ id: "stray", partitionKey: "nowhere" }]);
    assert.deepEqual(differences.changed.sample, [{ id: edited.id, partitionKey: edited.category }]);
  });

  it("counts every difference but names only a bounded sample", async function () {
    const target = await targetWith((await bodiesOf(source)).slice(25));
    const { missing } = await diagnose(target);
    assert.equal(missing.count, 25);
    assert.equal(missing.sample.length, differenceSampleSize);
  });

  it("compares the target with the source as the transform makes it, skipping what it skips", async function () {
    const transform: ItemTransform = (item) =>
      Number(item.index) % 3 === 0 ? undefined : { ...item, migrated: true };
    const expected = (await bodiesOf(source))
      .map(transform)
      .filter((item): item is Record<string, unknown> => item !== undefined);
    const [kept, untransformed] = [expected[0], expected[1]];
    const target = await targetWith(expected.filter((item) => item !== kept));
    await target.items.upsert({ ...untransformed, migrated: undefined });
    const differences = await diagnose(target, transform);
    assert.deepEqual(counts(differences), [1, 0, 1, 0]);
    assert.equal(differences.missing.sample[0].id, kept.id);
    assert.equal(differences.changed.sample[0].id, untransformed.id);
  });

  it("names the target key several source items collapse onto, not counting the one written as changed", async function () {
    const twins = await twinsSource([
      { id: "twin", pk: "left", category: "shared", side: 1 },
      { id: "twin", pk: "right", category: "shared", side: 2 },
    ]);
    // The copy's items (readAllItems keys them by id: one twin) under the target's key.
    const target = await targetWith(await bodiesOf(twins));
    const differences = await diagnose(target, undefined, twins);
    assert.deepEqual(counts(differences), [0, 0, 0, 1]);
    assert.deepEqual(differences.collisions.sample, [{ id: "twin", partitionKey: "shared" }]);
  });

  describe("through a job", function () {
    let connection: AccountConnection;
    let jobs: CopyJobs;
    const names: string[] = [];

    before(function () {
      connection = { endpoint: cosmos.endpoint, key: cosmos.key };
      jobs = CopyJobs.connect(connection);
    });

    after(async function () {
      for (const name of names) await jobs.delete(name).catch(() => undefined);
      jobs?.dispose();
    });

    function worker(): CopyWorker {
      return new CopyWorker({ connection, workerId: "w1", idleTimeoutMs: 1500, pollIntervalMs: 100 });
    }

    async function createJob(name: string, from: Container, target: Container, options: Partial<JobSpec>) {
      names.push(name);
      await jobs.create(
        {
          name,
          source: { database: database.id, container: from.id },
          destination: { database: database.id, container: target.id },
          ...options,
        },
        { startWorker: false },
      );
    }

    for (const verificationMode of ["sampled", "full"] as VerificationMode[]) {
      it(`fails a ${verificationMode} check naming the item the target should not hold`, async function () {
        const target = await targetWith([{ id: "stray", category: "nowhere" }]);
        const name = `stray-${verificationMode}`;
        await createJob(name, source, target, { options: { pageSize: 50, verificationMode } });
        await worker().run();
        const job = await jobs.get(name);
        assert.equal(job.error?.code, "VerificationMismatch", JSON.stringify(job.error));
        const differences = job.verification?.differences;
        assert.ok(differences, "the failed check carries what differs");
        assert.deepEqual(counts(differences), [0, 1, 0, 0]);
        const message = job.error?.message ?? "";
        assert.match(message, /holds 1 item \('stray' \[pk "nowhere"\]\) it should not\.$/);
        assert.match(message, new RegExp(`Reading both sides \\(${differences.requestCharge} RU\\)`));
      });
    }

    it("fails an online job whose source item moved onto another's target key, naming the collision", async function () {
      // Apart at first; while the job tails, the right one's category moves onto the left one's.
      const twins = await twinsSource([
        { id: "twin", pk: "left", category: "shared", side: 1 },
        { id: "twin", pk: "right", category: "apart", side: 2 },
      ]);
      const target = await targetWith([]);
      const name = "twins-online";
      await createJob(name, twins, target, { mode: "Online", options: { pageSize: 50 } });
      const running = worker().run();
      await until(
        () => jobs.get(name),
        (job) => isTailing(job) || terminalStatuses.includes(job.status),
        "the job to tail",
      );
      await twins.items.upsert({ id: "twin", pk: "right", category: "shared", side: 2 });
      await jobs.complete(name, { startWorker: false });
      await running;
      const job = await jobs.get(name);
      assert.equal(job.error?.code, "VerificationMismatch", JSON.stringify(job.error));
      const differences = job.verification?.differences;
      assert.ok(differences, "the failed check carries what differs");
      assert.deepEqual(differences.collisions.sample, [{ id: "twin", partitionKey: "shared" }]);
      // The moved item's earlier copy stays where it was: a replace does not say where the item came from.
      assert.deepEqual(differences.extra.sample, [{ id: "twin", partitionKey: "apart" }]);
      assert.match(
        job.error?.message ?? "",
        /1 target key \('twin' \[pk "shared"\]\) receives several source items/,
      );
    });
  });
});
