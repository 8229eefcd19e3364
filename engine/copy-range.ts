import type { Container, FeedRange } from "@azure/cosmos";
import type { BulkWriter } from "./bulk-writer";
import { FeedRangeReader, type ChangePage } from "./change-feed-reader";
import { withoutSystemProperties } from "./documents";
import { EtagConflict, type StateStore } from "./state-store";
import type { RangeRecord } from "./types";

/**
 * The data path of one feed range, top to bottom: read a change-feed page → strip system properties →
 * upsert the page into the target → checkpoint the range's continuation and counts. The next page is read
 * while the current one is written, so memory holds at most two pages per range.
 */
export interface RangeCopyEnvironment {
  store: StateStore;
  source: Container;
  writer: BulkWriter;
  workerId: string;
  pageSize: number;
  leaseDurationMs: number;
  /** Checked between pages: true when the job was paused, cancelled or failed. */
  shouldStop(): Promise<boolean>;
  onPage?(page: { items: number; readCharge: number; writeCharge: number; throttled: number }): void;
}

export type RangeOutcome = "drained" | "stopped" | "lostLease";

function prefetch(reader: FeedRangeReader): Promise<ChangePage> {
  const page = reader.next();
  page.catch(() => undefined); // awaited later; abandoned if the copy stops first
  return page;
}

export async function copyRange(
  env: RangeCopyEnvironment,
  range: RangeRecord,
  feedRange: FeedRange,
): Promise<RangeOutcome> {
  const reader = new FeedRangeReader(env.source, feedRange, range.continuation, env.pageSize);
  let checkpoint = range;
  let nextPage = prefetch(reader);
  for (;;) {
    const page = await nextPage;
    if (await env.shouldStop()) return "stopped";
    if (!page.drained) nextPage = prefetch(reader);

    const written = await env.writer.upsertAll(page.items.map(withoutSystemProperties));

    // Only after the write: a crash before this line re-copies the page (upserts make that harmless).
    try {
      checkpoint = await env.store.replaceRange({
        ...checkpoint,
        continuation: page.continuation,
        processedCount: checkpoint.processedCount + page.items.length,
        processedByWorker: {
          ...checkpoint.processedByWorker,
          [env.workerId]: (checkpoint.processedByWorker[env.workerId] ?? 0) + page.items.length,
        },
        drained: page.drained,
        leaseOwner: env.workerId,
        leaseExpiresAt: Date.now() + env.leaseDurationMs,
      });
    } catch (error) {
      if (error instanceof EtagConflict) return "lostLease";
      throw error;
    }
    env.onPage?.({
      items: page.items.length,
      readCharge: page.requestCharge,
      writeCharge: written.requestCharge,
      throttled: written.throttledOperations,
    });
    if (page.drained) return "drained";
  }
}
