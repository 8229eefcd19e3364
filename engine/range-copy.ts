import { setMaxListeners } from "node:events";
import type { Lease } from "./lease-manager";
import type { PageSink, RangeReader, RangeRunEnvironment, SourcePage } from "./copy-backend";
import { BodyChecksum } from "./documents";
import type { ThroughputPacer } from "./throughput-pacer";

/**
 * The data path of one leased range, for every backend: read pages (`RangeReader`) → prepare each as the
 * target gets it (`PageSink`: a transform's skipped items are counted, not written) → write it → checkpoint.
 * Reads run ahead of the writes and up to `pagesInFlight()` pages are written at once, but checkpoints
 * advance strictly in read order: a checkpoint covers a page only when it and every page before it are
 * written. A crash therefore re-copies at most that many pages of each range it held (each backend's writes
 * are harmless to replay); the worker's page slots bound the memory of all its ranges.
 */
export interface RangeCopyEnvironment extends Omit<RangeRunEnvironment, "cutover"> {
  reader: RangeReader;
  sink: PageSink;
  /** Keep a checksum of the bodies with each checkpoint (what a "full" verification compares against). */
  checksums: boolean;
  /** Paces reads when the job caps what they may spend in the source. */
  readPacer?: ThroughputPacer;
  onPage?(page: { items: number; readCharge: number; writeCharge: number; throttled: number }): void;
}

export type RangeOutcome = "drained" | "stopped" | "lostLease";

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

export async function copyRange(env: RangeCopyEnvironment, lease: Lease): Promise<RangeOutcome> {
  const stop = AbortSignal.any([env.signal, lease.signal]);
  // Every write in flight (up to pagesInFlight() × 10 requests) listens to it.
  setMaxListeners(0, stop);
  const { reader } = env;
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

  const write = (page: SourcePage, releaseSlot: () => void): PageInFlight => {
    const prepared = env.sink.prepare(page);
    let checksum: BodyChecksum | undefined;
    if (env.checksums) {
      checksum = new BodyChecksum();
      for (const body of prepared.bodies) checksum.add(body);
    }
    const count = prepared.bodies.length;
    const entry: PageInFlight = {
      continuation: page.continuation,
      drained: page.drained,
      count,
      skipped: page.items.length - count,
      checksum,
      written: false,
      done: Promise.resolve(),
    };
    entry.done = prepared.write(stop).then((cost) => {
      entry.written = true;
      env.onPage?.({
        items: count,
        readCharge: page.requestCharge,
        writeCharge: cost.requestCharge,
        throttled: cost.throttled,
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
      let entry: PageInFlight;
      try {
        const read = () => reader.next(stop);
        const page = await (env.readPacer ? env.readPacer.spend(reader.expectedCharge, read, stop) : read());
        entry = write(page, releaseSlot);
      } catch (error) {
        releaseSlot();
        throw error;
      }
      window.push(entry);
      if (entry.drained) break;
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
