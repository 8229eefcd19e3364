import { ChangeFeedStartFrom, type Container } from "@azure/cosmos";
import { FeedRangeReader } from "./change-feed-reader";
import { BodyChecksum } from "./documents";
import { withRetries } from "./retry";
import type { ThroughputPacer } from "./throughput-pacer";
import type { RangeRecord, Verification } from "./types";

/**
 * The offline copy's closing check, without reading the source a second time: the copy has already read
 * every source item once and kept a count and checksum of the bodies per range with each checkpoint. Here
 * the source is only counted (an aggregate the endpoint answers from its index), and the target is read
 * once, through the change feed of every feed range in parallel, into a count and checksum.
 *
 * It proves: the target holds exactly the bodies the copy read (nothing lost, altered, duplicated or
 * extra), and the source still has as many items as were read (an insert or delete during the copy shows).
 * It cannot see an item changed in place in the source after the copy read it: stop writers first.
 */
async function countOf(container: Container): Promise<number> {
  const { resources } = await withRetries(() =>
    container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll(),
  );
  return resources[0] ?? 0;
}

/** Every item of the container once, through each feed range's change feed (current versions) at once. */
export async function containerChecksum(
  container: Container,
  pageSize: number,
  pacer?: ThroughputPacer,
): Promise<BodyChecksum> {
  const ranges = await withRetries(() => container.getFeedRanges());
  const sums = await Promise.all(
    ranges.map(async (range) => {
      const checksum = new BodyChecksum();
      const reader = new FeedRangeReader(container, ChangeFeedStartFrom.Beginning(range), pageSize);
      for (;;) {
        const reserved = reader.expectedCharge;
        await pacer?.reserve(reserved);
        const page = await reader.next();
        pacer?.settle(reserved, page.requestCharge);
        pacer?.onCharged(page.requestCharge);
        for (const item of page.items) checksum.add(item);
        if (page.drained) return checksum;
      }
    }),
  );
  const total = new BodyChecksum();
  for (const sum of sums) total.merge(sum);
  return total;
}

/** `targetPacer` keeps the target's reads under the job's cap on what it spends there. */
export async function verifyCopy(
  source: Container,
  target: Container,
  ranges: readonly RangeRecord[],
  pageSize: number,
  targetPacer?: ThroughputPacer,
): Promise<Verification> {
  const copied = new BodyChecksum();
  for (const range of ranges) {
    const sum = BodyChecksum.from(range.checksum);
    sum.count = range.processedCount;
    copied.merge(sum);
  }
  const [sourceCount, targetSum] = await Promise.all([
    countOf(source),
    containerChecksum(target, pageSize, targetPacer),
  ]);
  return {
    sourceCount,
    copiedCount: copied.count,
    targetCount: targetSum.count,
    sourceChecksum: copied.value,
    targetChecksum: targetSum.value,
    matched:
      sourceCount === copied.count && targetSum.count === copied.count && targetSum.value === copied.value,
    verifiedAt: new Date().toISOString(),
  };
}
