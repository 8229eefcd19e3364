import type { Container, FeedRange } from "@azure/cosmos";
import { isDeepStrictEqual } from "node:util";
import { withRetries } from "./retry";
import { EtagConflict, type StateStore } from "./state-store";
import { rangeRecordId, type JobRecord, type RangeRecord } from "./types";

/**
 * A job's range records, kept in step with the source's feed ranges. Records are keyed by their bounds, so
 * every worker creates the same ones, and creating them on every start is harmless: a worker killed while
 * creating them leaves no range uncopied.
 *
 * A range that has a checkpoint keeps its record whatever happens to the source's partitions: the change
 * feed continuation carries on across a split (the SDK follows the children). A range that split before its
 * first checkpoint has no continuation to carry on from and no feed range of its own any more, so its
 * record is replaced by records for the children. The parent goes first, with a conditional delete that
 * fails if anyone leased it meanwhile; a worker killed before it creates the children leaves a gap that
 * the next start fills, as it fills any feed range no record covers.
 */
function boundsOf(range: { minInclusive: string; maxExclusive: string }): string {
  return `${range.minInclusive}|${range.maxExclusive}`;
}

function within(inner: FeedRange, outer: RangeRecord): boolean {
  return outer.minInclusive <= inner.minInclusive && inner.maxExclusive <= outer.maxExclusive;
}

function newRecord(jobName: string, range: Pick<FeedRange, "minInclusive" | "maxExclusive">): RangeRecord {
  return {
    id: rangeRecordId(jobName, range.minInclusive, range.maxExclusive),
    jobName,
    minInclusive: range.minInclusive,
    maxExclusive: range.maxExclusive,
    processedCount: 0,
    checksum: "0000000000000000",
    processedByWorker: {},
    drained: false,
  };
}

/** The source's current feed ranges by their bounds, for starting ranges that have no checkpoint yet. */
export type FeedRanges = Map<string, FeedRange>;

export function feedRangeOf(feedRanges: FeedRanges, range: RangeRecord): FeedRange | undefined {
  return feedRanges.get(boundsOf(range));
}

export async function syncRangeRecords(
  store: StateStore,
  job: JobRecord,
  source: Container,
  now: number,
): Promise<FeedRanges> {
  const feedRanges = await withRetries(() => source.getFeedRanges());
  const current = new Set(feedRanges.map(boundsOf));
  let records = await store.listRanges(job.name);
  for (const record of records) {
    const split = !record.continuation && !current.has(boundsOf(record));
    // A leased one is being read from its feed range as it was, which the SDK follows across the split.
    if (!split || (record.leaseOwner && (record.leaseExpiresAt ?? 0) > now)) continue;
    try {
      await store.deleteRange(record);
    } catch (error) {
      if (!(error instanceof EtagConflict)) throw error;
    }
  }
  records = await store.listRanges(job.name);
  for (const range of feedRanges) {
    if (!records.some((record) => within(range, record))) await store.insertRange(newRecord(job.name, range));
  }
  return new Map(feedRanges.map((range) => [boundsOf(range), range]));
}

/** Rewrites each of a job's range records that `change` changes, re-reading any a worker wrote meanwhile. */
async function rewriteRanges(
  store: StateStore,
  jobName: string,
  change: (range: RangeRecord) => RangeRecord | undefined,
): Promise<void> {
  for (const listed of await store.listRanges(jobName)) {
    let range: RangeRecord | undefined = listed;
    for (let changed = range && change(range); range && changed; changed = range && change(range)) {
      try {
        await store.replaceRange(changed);
        break;
      } catch (error) {
        // A worker of the failed run giving its lease back: read it again and change that.
        if (!(error instanceof EtagConflict)) throw error;
        range = await store.getRange(jobName, range.id);
      }
    }
  }
}

/**
 * Opens every drained range of a failed job again before it is resumed, so its next run reads each range's
 * change feed on from the checkpoint before it verifies again. That is what resuming honestly means after
 * any failure, a failed verification included: the checkpoints stay where the copy got to, and the feed
 * from there holds exactly what the source gained since (items inserted during the offline copy are
 * copied; a range with nothing new costs one read). What reading on cannot repair still fails the next
 * verification: an item deleted from the source, one the target holds that the source never had, or one
 * updated after it was read (read, and counted, a second time).
 */
export function reopenRanges(store: StateStore, jobName: string): Promise<void> {
  return rewriteRanges(store, jobName, (range) => (range.drained ? { ...range, drained: false } : undefined));
}

/**
 * Takes every range of a failed job back to its start, for a target that lost what the checkpoints count as
 * copied into it (deleted and created again): the next run reads each range's change feed from the
 * beginning. Leases are kept, as when reopening.
 */
export function restartRanges(store: StateStore, jobName: string): Promise<void> {
  return rewriteRanges(store, jobName, (range) => {
    const { leaseOwner, leaseExpiresAt, _etag } = range;
    const fresh = { ...newRecord(jobName, range), leaseOwner, leaseExpiresAt, _etag };
    return isDeepStrictEqual(fresh, range) ? undefined : fresh;
  });
}
