import { ChangeFeedMode, ChangeFeedStartFrom, type Container, type FeedRange } from "@azure/cosmos";
import { isDeepStrictEqual } from "node:util";
import { FeedRangeReader } from "./change-feed-reader";
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
 *
 * An online job's range also records where the source's all-versions-and-deletes feed stood before its
 * first page was read (`changesContinuation`): once the first pass has read the range, its changes are
 * applied from there, so none made while the first pass ran is missed (re-applying one the first pass
 * already copied converges, because changes are applied in order).
 */
function boundsOf(range: { minInclusive: string; maxExclusive: string }): string {
  return `${range.minInclusive}|${range.maxExclusive}`;
}

function within(inner: FeedRange, outer: RangeRecord): boolean {
  return outer.minInclusive <= inner.minInclusive && inner.maxExclusive <= outer.maxExclusive;
}

/** A range's record before its first checkpoint: nothing copied, no lease. */
export function newRangeRecord(
  jobName: string,
  range: Pick<RangeRecord, "minInclusive" | "maxExclusive">,
): RangeRecord {
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

/** Where the feed range's all-versions-and-deletes change feed stands now. */
async function changesPositionNow(source: Container, feedRange: FeedRange): Promise<string> {
  const reader = new FeedRangeReader(
    source,
    ChangeFeedStartFrom.Now(feedRange),
    1,
    ChangeFeedMode.AllVersionsAndDeletes,
  );
  return (await reader.next()).continuation;
}

/** Whether the range has work left for a worker: its first pass, or (online jobs) changes up to completion. */
export function rangeFinished(range: RangeRecord, job: JobRecord): boolean {
  if (!range.drained) return false;
  if (job.mode === "Offline") return true;
  const cutover = job.online?.completeRequestedAt;
  return cutover !== undefined && range.caughtUpAt !== undefined && range.caughtUpAt >= cutover;
}

export async function syncRangeRecords(
  store: StateStore,
  job: JobRecord,
  source: Container,
  now: number,
): Promise<FeedRanges> {
  const feedRanges = await withRetries(() => source.getFeedRanges());
  const current = new Set(feedRanges.map(boundsOf));
  const online = job.mode === "Online";
  let records = await store.listRanges(job.name);
  for (const record of records) {
    const leased = record.leaseOwner && (record.leaseExpiresAt ?? 0) > now;
    const split = !record.continuation && !current.has(boundsOf(record));
    const feedRange = feedRanges.find((range) => boundsOf(range) === boundsOf(record));
    try {
      // A leased one is being read from its feed range as it was, which the SDK follows across the split.
      if (split && !leased) await store.deleteRange(record);
      // One started over from the beginning (`restartRanges`) takes the feed's position anew.
      else if (online && feedRange && !record.continuation && !record.changesContinuation && !leased) {
        await store.replaceRange({
          ...record,
          changesContinuation: await changesPositionNow(source, feedRange),
        });
      }
    } catch (error) {
      if (!(error instanceof EtagConflict)) throw error;
    }
  }
  records = await store.listRanges(job.name);
  for (const range of feedRanges) {
    if (records.some((record) => within(range, record))) continue;
    const record = newRangeRecord(job.name, range);
    if (online) record.changesContinuation = await changesPositionNow(source, range);
    await store.insertRange(record);
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
    const fresh = { ...newRangeRecord(jobName, range), leaseOwner, leaseExpiresAt, _etag };
    return isDeepStrictEqual(fresh, range) ? undefined : fresh;
  });
}
