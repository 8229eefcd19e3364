import { ChangeFeedMode, ChangeFeedStartFrom, type Container, type PartitionKey } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import {
  parsePartitionKeyPath,
  type PartitionKeyDefinition,
  type PartitionKeyValue,
} from "../partitioning/effective-partition-key";
import { upsertOf, type BulkWriter, type TargetWrite } from "./bulk-writer";
import { resolveInsertConflicts } from "./insert-conflicts";
import { FeedRangeReader, type ChangePage } from "./change-feed-reader";
import { CopyJobError, serviceStatus } from "./errors";
import type { ItemTransform } from "./item-transform";
import type { Lease, LeaseManager } from "./lease-manager";
import { withRetries } from "./retry";
import { lastChangePerItem, parseChange, type SourceChange } from "./source-changes";
import type { ThroughputPacer } from "./throughput-pacer";
import type { ReplicationLag } from "./types";
import { partitionKeyOf } from "./verification";

/**
 * The online half of a leased feed range, once its first pass has read it: read the source's
 * all-versions-and-deletes change feed from the range's `changesContinuation`, apply each page to the
 * target (upserts, and deletes), then checkpoint, one page at a time so changes land in feed order. A crash
 * or a lease moved to another worker re-applies at most the page in hand, from the checkpoint, in order:
 * the target converges on the same state.
 *
 * When a read finds nothing newer, the range is caught up as of the moment that read was sent
 * (`caughtUpAt`, written when anything changed since the last such read). Once `complete` has been called,
 * the first such read sent after it ends the range's work: every change made before the cutover is in the
 * target.
 *
 * With a transform, a create or replace writes the transformed current image. One the transform skips may
 * still have a copy in the target (an earlier version passed it, and the first pass or an earlier change
 * copied it), so it is applied as a delete of that copy, as a delete is: the copy is found from the
 * transformed previous image when the feed gives one, else in the target by id and the source key
 * properties copied with it (a transform that drops or renames those leaves such a copy unfound; the closing
 * check then reports it). A delete of an item the transform skipped deletes nothing.
 */
export interface RangeTailEnvironment {
  source: Container;
  sourceKey: PartitionKeyDefinition;
  target: Container;
  targetKey: PartitionKeyDefinition;
  writer: BulkWriter;
  leases: LeaseManager;
  pageSize: number;
  /** The job's transform: what a changed item is written as, or undefined to skip it. */
  transform?: ItemTransform;
  /** Paces change-feed reads when the job caps what they may spend in the source. */
  readPacer?: ThroughputPacer;
  /** When `complete` was called (ISO time), once it has been; asked after each read that found nothing. */
  cutover(): string | undefined;
  /** How long to wait before reading again after a read found nothing new. */
  idleMs: number;
  signal: AbortSignal;
  /** Aborted when the range is to be handed to another worker: the page in hand is applied first. */
  handOver: AbortSignal;
  onPage?(page: { items: number; readCharge: number; writeCharge: number; throttled: number }): void;
}

export type TailOutcome = "caughtUp" | "stopped" | "lostLease";

/** A query condition on one source key path (`c["a"]["b"]`), with its parameter when it has a value. */
function keyCondition(path: string, value: PartitionKeyValue, index: number) {
  const property = `c${parsePartitionKeyPath(path)
    .map((segment) => `[${JSON.stringify(segment)}]`)
    .join("")}`;
  const absent = typeof value === "object" && value !== null;
  return absent
    ? { condition: `NOT IS_DEFINED(${property})`, parameter: undefined }
    : { condition: `${property} = @k${index}`, parameter: { name: `@k${index}`, value } };
}

/**
 * The target's copy of a deleted source item, when the feed did not give the item's previous image: the
 * target item with its id whose source key properties (copied with it) match the deleted one's.
 */
async function findInTarget(
  env: RangeTailEnvironment,
  change: SourceChange,
): Promise<Record<string, unknown> | undefined> {
  const keys = env.sourceKey.paths.map((path, index) => keyCondition(path, change.sourceKey[index], index));
  const query = {
    query: `SELECT * FROM c WHERE c.id = @id AND ${keys.map((key) => key.condition).join(" AND ")}`,
    parameters: [
      { name: "@id", value: change.id },
      ...keys.flatMap((key) => (key.parameter ? [key.parameter] : [])),
    ],
  };
  const { resources } = await withRetries(() =>
    env.target.items.query<Record<string, unknown>>(query).fetchAll(),
  );
  return resources[0];
}

/** The item as the target holds it: the source's image through the job's transform, if it has one. */
function targetImage(env: RangeTailEnvironment, image: Record<string, unknown>) {
  return env.transform ? env.transform(image) : image;
}

/**
 * A create is inserted, so that a new source item whose id and target key another's copy holds is caught
 * (see insert-conflicts.ts); a replace is an upsert of the item's newer version. A delete, or a change the
 * transform skips, deletes the copy the target may hold of an earlier version.
 */
async function writeFor(env: RangeTailEnvironment, change: SourceChange): Promise<TargetWrite | undefined> {
  const current = change.current && targetImage(env, change.current);
  if (current && change.operation === "create") {
    return { kind: "insert", document: current, sourcePartitionKey: change.sourceKey };
  }
  if (current) return upsertOf(current);
  const image = change.previous ? targetImage(env, change.previous) : await findInTarget(env, change);
  if (!image) return undefined;
  const partitionKey: PartitionKey = partitionKeyOf(env.targetKey, image);
  return { kind: "delete", id: String(image.id), partitionKey };
}

/**
 * How far behind the range was when it read the page: the changes pending then (the page's, and those the
 * partition logged after its last, from its session token's LSN), and the age of the oldest (the page's
 * first). Measured at the read, since a tail that keeps up reads every pending change at once and a count
 * taken after applying them would always say 0. An endpoint that sends no session token leaves only the
 * page to count.
 */
function lagAt(page: ChangePage, changes: readonly SourceChange[], readAt: number): ReplicationLag {
  const beyond =
    page.latestLsn !== undefined ? Math.max(0, page.latestLsn - changes[changes.length - 1].lsn) : 0;
  return {
    changes: changes.length + beyond,
    seconds: Math.max(0, Math.round(readAt / 1000 - changes[0].crts)),
  };
}

/** A continuation older than the feed's retention: the changes it pointed at are gone. */
function outsideRetention(error: unknown, rangeId: string): unknown {
  if (serviceStatus(error)?.code !== 400) return error;
  return new CopyJobError(
    "ChangesOutsideRetention",
    `The source's all-versions-and-deletes change feed no longer holds the changes range ${rangeId} still had to apply (${error instanceof Error ? error.message : String(error)}).`,
    "Give the source container a change feed policy whose retention outlasts the copy's first pass, then copy again under a new job name.",
  );
}

export async function tailRange(env: RangeTailEnvironment, lease: Lease): Promise<TailOutcome> {
  const stop = AbortSignal.any([env.signal, lease.signal]);
  const from = lease.record.changesContinuation;
  if (!from) {
    throw new CopyJobError(
      "ChangesPositionMissing",
      `Range ${lease.rangeId} of an online job has no position in the source's change feed to apply changes from.`,
      "Delete the job and create it again.",
    );
  }
  const reader = new FeedRangeReader(
    env.source,
    ChangeFeedStartFrom.Continuation(from),
    env.pageSize,
    ChangeFeedMode.AllVersionsAndDeletes,
  );
  let applied = lease.record.appliedChanges ?? 0;
  const idle = AbortSignal.any([stop, env.handOver]);
  try {
    while (!idle.aborted) {
      const readAt = Date.now();
      const sentAt = new Date(readAt).toISOString();
      const read = () => reader.next(stop);
      const page = await (
        env.readPacer ? env.readPacer.spend(reader.expectedCharge, read, stop) : read()
      ).catch((error: unknown) => {
        throw outsideRetention(error, lease.rangeId);
      });
      if (page.drained) {
        const cutover = env.cutover();
        const done = cutover !== undefined && sentAt >= cutover;
        // An idle range writes nothing (its lease is renewed on its own timer) until there is news: the
        // feed moved, it has caught up since it was behind, or the cutover is reached.
        const { changesContinuation, lag } = lease.record;
        if (done || page.continuation !== changesContinuation || lag?.changes !== 0 || lag.seconds !== 0) {
          const fields = {
            changesContinuation: page.continuation,
            appliedChanges: applied,
            caughtUpAt: sentAt,
            lag: { changes: 0, seconds: 0 },
          };
          if (!(await env.leases.checkpoint(lease.rangeId, fields))) return "lostLease";
        }
        if (done) return "caughtUp";
        await sleep(env.idleMs, undefined, { signal: idle }).catch(() => undefined);
        continue;
      }
      const changes = page.items.map((raw) => parseChange(raw, env.sourceKey));
      const writes = await Promise.all(lastChangePerItem(changes).map((change) => writeFor(env, change)));
      const written = await env.writer.writeAll(
        writes.filter((write): write is TargetWrite => write !== undefined),
        stop,
      );
      if (written.conflicts.length > 0) {
        const { target, targetKey, sourceKey, writer } = env;
        const resolved = await resolveInsertConflicts(
          { target, targetKey, sourceKey, writer },
          written.conflicts,
          stop,
        );
        written.requestCharge += resolved.requestCharge;
      }
      applied += changes.length;
      env.onPage?.({
        items: changes.length,
        readCharge: page.requestCharge,
        writeCharge: written.requestCharge,
        throttled: written.throttledOperations,
      });
      const fields = {
        changesContinuation: page.continuation,
        appliedChanges: applied,
        lag: lagAt(page, changes, readAt),
      };
      if (!(await env.leases.checkpoint(lease.rangeId, fields))) return "lostLease";
    }
  } catch (error) {
    if (!stop.aborted) throw error;
    // Stopping: a page cut short is not checkpointed, and is applied again by whoever continues the range.
  }
  return lease.signal.aborted && !env.signal.aborted ? "lostLease" : "stopped";
}
