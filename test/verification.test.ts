import { ChangeFeedStartFrom, type Container, type Database } from "@azure/cosmos";
import assert from "node:assert/strict";
import type { RangeRecord } from "../engine";
import { withoutSystemProperties } from "../engine/documents";
import { containerChecksum, verifyCopy } from "../engine/verification";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { seedContainer, type SeedOptions } from "./support/seed";

/**
 * The closing check in both modes, against a real endpoint: a faithful copy matches, and a target that lost
 * an item or holds one with another body is caught, by the mode that can see it.
 */
const seed: SeedOptions = { count: 400, partitionKeys: 40, itemBytes: 300 };

describe("closing verification", function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let source: Container;
  let target: Container;
  let copied: RangeRecord[];

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("verify") }));
    ({ container: source } = await database.containers.create({
      id: "source",
      partitionKey: { paths: ["/pk"] },
      throughput: 10_000,
    }));
    await seedContainer(source, seed);
    const checksum = await containerChecksum(source, 1000);
    // What the copy's checkpoints would hold after copying every item: one range's count and checksum.
    copied = [
      {
        id: "job:[,FF)",
        jobName: "job",
        minInclusive: "",
        maxExclusive: "FF",
        processedCount: checksum.count,
        checksum: checksum.value,
        processedByWorker: {},
        drained: true,
      },
    ];
  });

  beforeEach(async function () {
    // A faithful copy under another partition key: the same bodies, written by the test.
    ({ container: target } = await database.containers.create({
      id: uniqueName("target"),
      partitionKey: { paths: ["/category"] },
      throughput: 10_000,
    }));
    await seedContainer(target, seed);
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  /** An item the sample certainly holds: the first of a feed range's change feed. */
  async function firstSampledItem(): Promise<Record<string, unknown>> {
    const [range] = await source.getFeedRanges();
    const iterator = source.items.getChangeFeedIterator<Record<string, unknown>>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
      maxItemCount: 1,
    });
    const [item] = (await iterator.readNext()).result;
    assert.ok(item, "the source's first feed range has items");
    return item;
  }

  it("matches a faithful copy in both modes, sampling at most a few hundred items", async function () {
    const sampled = await verifyCopy("sampled", source, target, copied, 1000);
    assert.equal(sampled.matched, true);
    assert.deepEqual(
      [sampled.sourceCount, sampled.copiedCount, sampled.targetCount],
      [seed.count, seed.count, seed.count],
    );
    assert.ok((sampled.sampledItems ?? 0) >= 100 && (sampled.sampledItems ?? 0) <= 204);
    assert.deepEqual(sampled.sampleMismatches, []);
    const full = await verifyCopy("full", source, target, copied, 1000);
    assert.equal(full.matched, true);
    assert.equal(full.targetChecksum, full.sourceChecksum);
  });

  it("names a sampled item whose body differs in the target; full mode sees it in the checksum", async function () {
    const item = await firstSampledItem();
    await target.items.upsert({ ...withoutSystemProperties(item), total: -1 });
    const sampled = await verifyCopy("sampled", source, target, copied, 1000);
    assert.equal(sampled.matched, false);
    assert.equal(sampled.targetCount, seed.count);
    assert.deepEqual(sampled.sampleMismatches, [item.id]);
    const full = await verifyCopy("full", source, target, copied, 1000);
    assert.equal(full.matched, false);
    assert.notEqual(full.targetChecksum, full.sourceChecksum);
  });

  it("catches an item missing from the target by its count, in both modes", async function () {
    const item = await firstSampledItem();
    await target.item(String(item.id), String(item.category)).delete();
    for (const mode of ["sampled", "full"] as const) {
      const verification = await verifyCopy(mode, source, target, copied, 1000);
      assert.equal(verification.matched, false, mode);
      assert.equal(verification.targetCount, seed.count - 1, mode);
    }
  });
});
