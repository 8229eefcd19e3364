import type { Container, ContainerRequest, Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import { CopyWorker, type AccountConnection, type CopyJobs, type JobSpec } from "../engine";
import { withoutSystemProperties } from "../engine/documents";
import { openEngineSuite, type EngineSuite } from "./support/engine-suite";

/**
 * What a partition-key migration can break that the copy cannot fix, caught before anything is copied (the
 * preflight analysis behind `plan` and `create`) or, when the source changes after it, while copying (no
 * silent overwrite).
 */
async function failureOf(promise: Promise<unknown>): Promise<Error & { code?: string; field?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; field?: string };
  }
  assert.fail("expected a failure");
}

async function countOf(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
  return resources[0];
}

/** Orders of customers in regions: the source is partitioned by customer, targets by region. */
function order(id: string, customer: string, region: string, extra: Record<string, unknown> = {}) {
  return { id, customer, region, total: 10, ...extra };
}

async function insertAll(container: Container, items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 50) {
    await Promise.all(items.slice(i, i + 50).map((item) => container.items.create(item)));
  }
}

describe("migration safety", function () {
  let suite: EngineSuite | undefined;
  let jobs: CopyJobs;
  let connection: AccountConnection;
  let database: Database;

  before(async function () {
    suite = await openEngineSuite("safety", { partitions: 2 });
    ({ jobs, connection, database } = suite);
  });

  after(async function () {
    await suite?.close();
  });

  async function container(id: string, path: string, settings: Partial<ContainerRequest> = {}) {
    return (
      await database.containers.create({
        id,
        partitionKey: { paths: [path] },
        throughput: 10000,
        ...settings,
      })
    ).container;
  }

  function specFor(name: string, source: string, destination: string): JobSpec {
    return {
      name,
      source: { database: database.id, container: source },
      destination: { database: database.id, container: destination },
    };
  }

  it("finds ids that would collide under the new key, names them with their source keys, and copies nothing", async function () {
    const source = await container("orders-a", "/customer");
    const target = await container("orders-a-by-region", "/region");
    const items = Array.from({ length: 300 }, (_, i) => order(`o-${i}`, `c-${i % 30}`, `r-${i % 5}`));
    // Two customers' orders with one id, in one region: one item under the new key.
    items.push(order("o-7", "c-99", "r-2"), order("o-8", "c-98", "r-4"));
    await insertAll(source, items);
    const spec = specFor("collide", "orders-a", "orders-a-by-region");

    const planned = await failureOf(jobs.plan(spec));
    assert.equal(planned.code, "IdCollision");
    assert.equal(planned.field, "destination");
    assert.match(planned.message, /1 id\(s\) would collide under the target's partition key \/region/);
    // o-7 of c-7 is in r-2 (7 % 5), as is o-7 of c-99; o-8 of c-8 is in r-3, apart from c-98's in r-4.
    assert.match(planned.message, /'o-7' \(source keys "c-(7|99)" and "c-(7|99)" → target key "r-2"\)/);
    assert.doesNotMatch(planned.message, /'o-8'/);
    assert.match(planned.message, /nothing was copied/);

    const created = await failureOf(jobs.create(spec, { startWorker: false }));
    assert.equal(created.code, "IdCollision");
    assert.equal(await jobs.find("collide"), undefined, "no job was recorded");
    assert.equal(await countOf(target), 0, "nothing was written");
  });

  it("flags a logical partition over the limit (a small one here; 20 GB by default) and names the largest", async function () {
    const source = await container("events", "/device");
    await container("events-by-site", "/site");
    const items = Array.from({ length: 400 }, (_, i) => ({
      id: `e-${i}`,
      device: `d-${i % 40}`,
      // One site gets three quarters of the events.
      site: i % 4 === 0 ? "s-small" : "s-big",
      payload: "x".repeat(100),
    }));
    await insertAll(source, items);
    const spec = specFor("oversize", "events", "events-by-site");

    const plan = await jobs.plan(spec);
    const largest = plan.analysis!.largestPartitions;
    assert.deepEqual(
      largest.map((size) => [size.partitionKey, size.items]),
      [
        [["s-big"], 300],
        [["s-small"], 100],
      ],
    );
    assert.equal(plan.analysis!.oversizePartitions.count, 0, "nothing is near 20 GB");

    const limit = largest[1].bytes + 1;
    const refused = await failureOf(jobs.plan(spec, { logicalPartitionLimitBytes: limit }));
    assert.equal(refused.code, "LogicalPartitionTooLarge");
    assert.match(
      refused.message,
      /1 logical partition\(s\) of the target would exceed the [\d.]+ KB limit under \/site: "s-big" \([\d.]+ KB, 300 items\)/,
    );
    assert.doesNotMatch(refused.message, /s-small/);
  });

  it("warns of TTL, indexing and unique-key differences and items without the new key; refuses unique-key violations", async function () {
    const source = await container("users", "/tenant", {
      defaultTtl: 3600,
      uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/login"] }] },
    });
    await container("users-by-country", "/country", {
      indexingPolicy: { excludedPaths: [{ path: "/bio/*" }] },
      uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/email"] }] },
    });
    const users = Array.from({ length: 60 }, (_, i) => ({
      id: `u-${i}`,
      tenant: `t-${i % 6}`,
      login: `login-${i}`,
      email: `u${i}@example.com`,
      ...(i < 3 ? {} : { country: `k-${i % 3}` }),
    }));
    await insertAll(source, users);
    const spec = specFor("users", "users", "users-by-country");

    const plan = await jobs.plan(spec);
    const warnings = plan.analysis!.warnings.join("\n");
    assert.match(warnings, /Time to live differs: the source's defaultTtl is 3600 s, the target's is off/);
    assert.match(
      warnings,
      /Indexing policy differs \(source → target\): excludedPaths \[.*\] → \[.*\/bio\/\*.*\]/,
    );
    assert.match(warnings, /Unique keys \(\/login\) of the source are not on the target/);
    assert.match(warnings, /The target enforces unique keys \(\/email\)/);
    assert.match(
      warnings,
      /3 item\(s\) have no value at the target's partition key path \/country \(ids 'u-0', 'u-1', 'u-2'\)/,
    );

    // Two users of one country with one email: the target would refuse the second.
    await source.items.create({
      id: "u-dup",
      tenant: "t-1",
      login: "login-dup",
      email: "u4@example.com",
      country: "k-1",
    });
    const refused = await failureOf(jobs.plan(spec));
    assert.equal(refused.code, "UniqueKeyViolation");
    assert.match(refused.message, /'u-4' and 'u-dup' share \(\/email\) under key "k-1"/);
  });

  it("warns that the target holds items already, and keeps the warnings on the job", async function () {
    const source = await container("carts", "/customer");
    const target = await container("carts-by-region", "/region");
    await insertAll(source, [order("k-1", "c-1", "r-1"), order("k-2", "c-2", "r-1")]);
    await target.items.create(order("left-over", "c-0", "r-0"));

    const created = await jobs.create(specFor("carts", "carts", "carts-by-region"), { startWorker: false });
    assert.equal(created.preflight?.itemsRead, 2);
    assert.ok(created.preflight.requestCharge > 0);
    assert.match(created.preflight.warnings.join("\n"), /The target already holds 1 item\(s\)/);
    assert.deepEqual((await jobs.get("carts")).preflight, created.preflight);
    await jobs.delete("carts");
  });

  it("create keeps an analysis plan made moments ago instead of reading the source again; its problems still refuse", async function () {
    const { admin } = suite!.cosmos;
    if (!admin) this.skip();
    const source = await container("tickets", "/customer");
    await container("tickets-by-region", "/region");
    await insertAll(
      source,
      Array.from({ length: 120 }, (_, i) => order(`t-${i}`, `c-${i % 12}`, `r-${i % 3}`)),
    );
    const spec = specFor("tickets", "tickets", "tickets-by-region");
    const { analysis } = await jobs.plan(spec);
    const sourceLink = `dbs/${database.id}/colls/tickets`;
    const readsOfSource = async () =>
      Object.entries(await admin.statistics())
        .filter(([path]) => path === sourceLink || path.startsWith(`${sourceLink}/`))
        .reduce((sum, [, entry]) => sum + entry.requestUnits, 0);

    await admin.resetStatistics();
    const created = await jobs.create(spec, { startWorker: false, analysis });
    assert.equal(await readsOfSource(), 0, "the source was not read again");
    assert.equal(created.preflight?.itemsRead, 120);
    assert.equal(created.preflight?.requestCharge, analysis!.requestCharge);
    await jobs.delete("tickets");

    const colliding = {
      ...analysis!,
      problems: ["1 id(s) would collide …"],
      collisions: { count: 1, sample: [] },
    };
    const refused = await failureOf(jobs.create(spec, { startWorker: false, analysis: colliding }));
    assert.equal(refused.code, "IdCollision");
    assert.equal(await jobs.find("tickets"), undefined);
  });

  it("fails a job whose source gained a colliding item after preflight, naming it, and overwrites nothing", async function () {
    const source = await container("orders-b", "/customer");
    const target = await container("orders-b-by-region", "/region");
    await insertAll(
      source,
      Array.from({ length: 200 }, (_, i) => order(`o-${i}`, `c-${i % 20}`, `r-${i % 4}`)),
    );
    await jobs.create(specFor("late-collision", "orders-b", "orders-b-by-region"), { startWorker: false });
    // After the analysis, before the copy: c-77's o-5 lands where c-5's o-5 does (r-1).
    await source.items.create(order("o-5", "c-77", "r-1", { total: 99 }));

    const worker = new CopyWorker({ connection, workerId: "w1", idleTimeoutMs: 1500, pollIntervalMs: 100 });
    await worker.run();
    const job = await jobs.get("late-collision");
    assert.equal(job.status, "Failed");
    assert.equal(job.error?.code, "IdCollision");
    assert.match(
      job.error.message,
      /'o-5' under target key "r-1" \(from source key "c-(5|77)"; the target's item has source key "c-(5|77)"\)/,
    );
    assert.match(job.error.message, /Nothing was overwritten/);

    // Whichever of the two was copied first is the one the target holds, intact.
    const { resources: copies } = await target.items
      .query<Record<string, unknown>>('SELECT * FROM c WHERE c.id = "o-5"')
      .fetchAll();
    assert.equal(copies.length, 1);
    const expected =
      copies[0].customer === "c-77" ? order("o-5", "c-77", "r-1", { total: 99 }) : order("o-5", "c-5", "r-1");
    assert.deepEqual(withoutSystemProperties(copies[0]), expected);
  });

  it("copies again into a target holding its own earlier copy (a replay) without calling it a collision", async function () {
    const source = await container("notes", "/author");
    const target = await container("notes-by-topic", "/topic");
    const notes = Array.from({ length: 150 }, (_, i) => ({
      id: `n-${i}`,
      author: `a-${i % 15}`,
      topic: `t-${i % 3}`,
    }));
    await insertAll(source, notes);
    // Half of them already copied, one of those since changed in the source: a newer version replaces it.
    await insertAll(target, notes.slice(0, 75));
    await source.items.upsert({ ...notes[10], edited: true });

    await jobs.create(specFor("replay", "notes", "notes-by-topic"), { startWorker: false });
    const worker = new CopyWorker({ connection, workerId: "w2", idleTimeoutMs: 1500, pollIntervalMs: 100 });
    await worker.run();
    const job = await jobs.get("replay");
    assert.equal(job.status, "Completed", JSON.stringify(job.error));
    assert.equal(await countOf(target), 150);
    const { resource } = await target.item("n-10", "t-1").read<Record<string, unknown>>();
    assert.equal(resource?.edited, true);
  });
});
