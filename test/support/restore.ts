import { ChangeFeedStartFrom, StatusCodes, type Container, type JSONObject } from "@azure/cosmos";
import { withoutSystemProperties } from "../../engine/documents";
import type { StateStore } from "../../engine/state-store";
import type { RangeRecord } from "../../engine/types";
import { upsertBatch } from "./seed";
import { until } from "./until";

/**
 * A job's range records once no worker holds any, as after a job has ended and its workers have let go:
 * from then on its checkpoints no longer move.
 */
export function checkpointsAtRest(store: StateStore, jobName: string): Promise<RangeRecord[]> {
  return until(
    () => store.listRanges(jobName),
    (ranges) => ranges.every((range) => !range.leaseOwner),
    `the workers to give the ranges of ${jobName} back`,
  );
}

/**
 * Stands in for a point-in-time restore of a deleted target to the moment of its job's last checkpoints:
 * writes into `target` exactly the items each range's checkpoint counts as copied, which are the first
 * `processedCount` items of that range's change feed (the source must not have changed since). Returns how
 * many it wrote.
 */
export async function restoreCheckpointedItems(
  source: Container,
  target: Container,
  ranges: readonly RangeRecord[],
): Promise<number> {
  const feedRanges = await source.getFeedRanges();
  let restored = 0;
  for (const range of ranges) {
    const feedRange = feedRanges.find(
      (candidate) =>
        candidate.minInclusive === range.minInclusive && candidate.maxExclusive === range.maxExclusive,
    );
    if (!feedRange) throw new Error(`no feed range of the source has the bounds of ${range.id}`);
    const iterator = source.items.getChangeFeedIterator<JSONObject>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(feedRange),
      maxItemCount: 1000,
    });
    const items: JSONObject[] = [];
    while (items.length < range.processedCount) {
      const page = await iterator.readNext();
      if (page.statusCode === StatusCodes.NotModified) {
        throw new Error(`${range.id} counts ${range.processedCount} items, its feed has ${items.length}`);
      }
      items.push(...page.result);
    }
    const copied = items.slice(0, range.processedCount).map((item) => withoutSystemProperties(item));
    for (let i = 0; i < copied.length; i += 100) {
      await upsertBatch(target, copied.slice(i, i + 100) as JSONObject[]);
    }
    restored += copied.length;
  }
  return restored;
}
