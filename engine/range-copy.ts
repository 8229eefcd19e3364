import { setMaxListeners } from "node:events";
import { ChangeFeedStartFrom, type Container, type FeedRange } from "@azure/cosmos";
import type { AdaptiveConcurrency } from "./adaptive-concurrency";
import { extractPartitionKey } from "../partitioning/effective-partition-key";
import type { BulkWriter, InsertWrite, WriteResult } from "./bulk-writer";
import { FeedRangeReader, type ChangePage } from "./change-feed-reader";
import { BodyChecksum } from "./documents";
import { resolveInsertConflicts, type ConflictScope } from "./insert-conflicts";
import { targetDocument, type ItemTransform } from "./item-transform";
import type { Lease, LeaseManager } from "./lease-manager";
import type { ThroughputPacer } from "./throughput-pacer";

/**
 * The data path of one leased feed range: read change-feed pages → strip system properties → transform
 * (when the job has one; an item it skips is counted, not written) → insert each page into the target (an item already there is a replay, a newer version, or a collision: see
 * insert-conflicts.ts) → checkpoint. Reads run ahead of the writes and up to `pagesInFlight()` pages are
 * written at once, but checkpoints advance strictly in feed order: a checkpoint covers a page only when it
 * and every page before it are written. A crash therefore re-copies at most that many pages of each range
 * it held (an insert that finds its own earlier copy does nothing); the worker's page slots bound the memory of all its ranges.
 */
export interface RangeCopyEnvironment {
  source: Container;
  writer: BulkWriter;
  /** Where inserts the target refuses are resolved: its writer, both partition keys. */
  conflicts: ConflictScope;
  leases: LeaseManager;
  workerId: string;
  pageSize: number;
  /** The most pages of this range written or waiting for their checkpoint at once, asked before each read. */
  pagesInFlight(): number;
  /** The job's transform: what each item is written as, or undefined to skip (and count) it. */
  transform?: ItemTransform;
  /** Keep a checksum of the bodies with each checkpoint (what a "full" verification compares against). */
  checksums: boolean;
  /** Pages the whole worker may hold at once, across its ranges: memory stays bounded however many. */
  pageSlots: AdaptiveConcurrency;
  /** Paces change-feed reads when the job caps what they may spend in the source. */
  readPacer?: ThroughputPacer;
  /** Aborted when the range must stop now (job paused, cancelled or failed, worker stopping). */
  signal: AbortSignal;
  /**
   * Aborted when the range is to be handed to another worker: no new page is read, the pages in flight are
   * written and checkpointed, so the next holder starts where this one ended and nothing is written twice.
   */
  handOver: AbortSignal;
  onPage?(page: { items: number; readCharge: number; writeCharge: number; throttled: number }): void;
}

export type RangeOutcome = "drained" | "stopped" | "lostLease";

/** Where the range's change feed resumes: its checkpoint, or the beginning of its feed range. */
export function startOf(lease: Lease, feedRange: FeedRange | undefined): ChangeFeedStartFrom {
  const { continuation } = lease.record;
  if (continuation) return ChangeFeedStartFrom.Continuation(continuation);
  if (!feedRange) throw new Error(`range ${lease.rangeId} has no checkpoint and no feed range to start from`);
  return ChangeFeedStartFrom.Beginning(feedRange);
}

interface PageInFlight {
  /** Where the page ends; its items live only in the write, so a written page holds no memory. */
  continuation: string;
  drained: boolean;
  /** Items written, and items the transform skipped. */
  count: number;
  skipped: number;
  checksum?: BodyChecksum;
  written: boolean;
  /** Settles when the page's write ends; rejects if it failed. */
  done: Promise<void>;
}

export async function copyRange(
  env: RangeCopyEnvironment,
  lease: Lease,
  startFrom: ChangeFeedStartFrom,
): Promise<RangeOutcome> {
  const stop = AbortSignal.any([env.signal, lease.signal]);
  // Every write in flight (up to pagesInFlight() × 10 requests) listens to it.
  setMaxListeners(0, stop);
  const reader = new FeedRangeReader(env.source, startFrom, env.pageSize);
  const start = lease.record;
  // Absolute values, so a checkpoint retried after a reset cannot count twice.
  const totals = {
    processedCount: start.processedCount,
    skippedCount: start.skippedCount ?? 0,
    mine: start.processedByWorker[env.workerId] ?? 0,
    checksum: BodyChecksum.from(start.checksum),
  };
  const window: PageInFlight[] = [];
  let checkpoints: Promise<boolean> = Promise.resolve(true);

  /** Checkpoints the written pages at the front of the window, in order, one write at a time. */
  const advance = () => {
    let last: PageInFlight | undefined;
    while (window[0]?.written) {
      last = window.shift()!;
      totals.processedCount += last.count;
      totals.skippedCount += last.skipped;
      totals.mine += last.count;
      if (last.checksum) totals.checksum.merge(last.checksum);
    }
    if (!last) return;
    const fields = {
      continuation: last.continuation,
      drained: last.drained,
      processedCount: totals.processedCount,
      skippedCount: totals.skippedCount,
      checksum: totals.checksum.value,
      processedByWorker: { ...start.processedByWorker, [env.workerId]: totals.mine },
    };
    checkpoints = checkpoints.then((ok) => ok && env.leases.checkpoint(lease.rangeId, fields));
  };

  /** The page's items as the target gets them, each with its source key; the transform's skipped left out. */
  const insertsOf = (page: ChangePage): InsertWrite[] =>
    page.items.flatMap((item): InsertWrite[] => {
      const document = targetDocument(item, env.transform);
      if (!document) return [];
      return [
        { kind: "insert", document, sourcePartitionKey: extractPartitionKey(env.conflicts.sourceKey, item) },
      ];
    });

  const write = (page: ChangePage, inserts: InsertWrite[], releaseSlot: () => void): PageInFlight => {
    let checksum: BodyChecksum | undefined;
    if (env.checksums) {
      checksum = new BodyChecksum();
      for (const { document } of inserts) checksum.add(document);
    }
    const count = inserts.length;
    const readCharge = page.requestCharge;
    const entry: PageInFlight = {
      continuation: page.continuation,
      drained: page.drained,
      count,
      skipped: page.items.length - count,
      checksum,
      written: false,
      done: Promise.resolve(),
    };
    entry.done = env.writer.writeAll(inserts, stop).then(async (written) => {
      const resolved: WriteResult | undefined =
        written.conflicts.length > 0
          ? await resolveInsertConflicts(env.conflicts, written.conflicts, stop)
          : undefined;
      entry.written = true;
      env.onPage?.({
        items: count,
        readCharge,
        writeCharge: written.requestCharge + (resolved?.requestCharge ?? 0),
        throttled: written.throttledOperations + (resolved?.throttledOperations ?? 0),
      });
      advance();
    });
    // Raced and awaited below; the handler here also marks it handled if the copy stops and abandons it.
    entry.done.finally(releaseSlot).catch(() => undefined);
    return entry;
  };

  try {
    for (;;) {
      while (window.length >= env.pagesInFlight() && !stop.aborted) {
        // Written pages wait at the front of the window for an earlier one: wait only on unwritten ones.
        await Promise.race(window.filter((entry) => !entry.written).map((entry) => entry.done));
      }
      if (stop.aborted || env.handOver.aborted) break;
      const releaseSlot = await env.pageSlots.acquire();
      let page: ChangePage;
      let inserts: InsertWrite[];
      try {
        const read = () => reader.next(stop);
        page = await (env.readPacer ? env.readPacer.spend(reader.expectedCharge, read, stop) : read());
        inserts = insertsOf(page);
      } catch (error) {
        releaseSlot();
        throw error;
      }
      window.push(write(page, inserts, releaseSlot));
      if (page.drained) break;
    }
    await Promise.all(window.map((entry) => entry.done));
  } catch (error) {
    if (!stop.aborted) throw error;
    // Stopping: writes cut short are not checkpointed, and are re-copied by whoever continues the range.
  }
  const checkpointed = await checkpoints;
  if (lease.signal.aborted && !env.signal.aborted) return "lostLease";
  if (!checkpointed) return "lostLease";
  return !stop.aborted && lease.record.drained ? "drained" : "stopped";
}
