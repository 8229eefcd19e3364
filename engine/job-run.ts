import type { Container, CosmosClient } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { AdaptiveConcurrency } from "./adaptive-concurrency";
import { planBalance } from "./balancer";
import { BulkWriter } from "./bulk-writer";
import type { Clock } from "./clock";
import { readWriteRegion } from "./connection";
import { describeError } from "./errors";
import { runnableTransform, type ItemTransform } from "./item-transform";
import { failJob, finishJob } from "./job-lifecycle";
import { feedRangeOf, rangeFinished, syncRangeRecords, type FeedRanges } from "./job-ranges";
import { LeaseManager } from "./lease-manager";
import { diagnoseMismatch, type DiagnosisInput } from "./mismatch-diagnosis";
import { copyRange, startOf } from "./range-copy";
import { tailRange } from "./range-tail";
import { withRetries } from "./retry";
import { canReadSource } from "./source-account";
import { updateJob, type StateStore } from "./state-store";
import { jobThroughput } from "./throughput-budget";
import { TargetRanges } from "./target-ranges";
import { ThroughputPacer } from "./throughput-pacer";
import type { PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import {
  runningTime,
  type JobRecord,
  type OnlineProgress,
  type RangeRecord,
  type Verification,
} from "./types";
import { verifyCopy } from "./verification";

/**
 * One worker's part in one running job: keep its share of the ranges leased and copying, record progress,
 * watch the write region, and, once every range has finished (drained; for an online job, also caught up
 * with the source's changes after `complete`), verify and finish the job. Several workers
 * run this for the same job at once; the lease manager and the balancer keep them off each other's ranges.
 */
export interface JobRunSettings {
  leaseDurationMs: number;
  pollIntervalMs: number;
  regionCheckIntervalMs: number;
  /** Heartbeats younger than this mean a worker is alive. */
  liveWithinMs: number;
  /**
   * Pages of one range written at once while the worker copies enough ranges to fill its pages; with fewer
   * (the tail of a job) each range gets an equal share of them, so the last ranges copy as fast as all did.
   * The most re-copied per range after a crash.
   */
  pagesInFlight: number;
  /** Pages held at once across all the worker's ranges, which bounds its memory. */
  pagesPerWorker: number;
  /** Online jobs: how long a range that found no new change waits before reading again. */
  changesPollIntervalMs: number;
}

export interface JobRunContext {
  /** The job's account: its state and target. */
  client: CosmosClient;
  /** The account of the job's source: `client`, or another account's for a cross-account job. */
  sourceClient: CosmosClient;
  store: StateStore;
  workerId: string;
  settings: JobRunSettings;
  clock: Clock;
  /** Aborted when the worker is asked to stop. */
  stopping: AbortSignal;
  heartbeat(): Promise<void>;
  log(line: string): void;
}

/** How stale a running job's `durationMs` may get while its counts stand still (e.g. when throttled). */
const durationRefreshMs = 5_000;
const progressIntervalMs = 1_000;

interface RunningRange {
  task: Promise<void>;
  handOver: AbortController;
}

function containersOf(ctx: JobRunContext, job: JobRecord): { source: Container; target: Container } {
  return {
    source: ctx.sourceClient.database(job.source.database).container(job.source.container),
    target: ctx.client.database(job.destination.database).container(job.destination.container),
  };
}

async function partitionKeyDefinitionOf(container: Container): Promise<PartitionKeyDefinition> {
  const { resource } = await withRetries(() => container.read());
  return resource?.partitionKey as PartitionKeyDefinition;
}

/** Pacers at the rates the job may spend: provisioned throughput read up front, under the job's caps. */
async function pacersFor(job: JobRecord, source: Container, target: Container) {
  const { writeCeiling, readCap } = await jobThroughput(job, source, target);
  return {
    writeCeiling,
    write: new ThroughputPacer(writeCeiling),
    read: readCap === undefined ? undefined : new ThroughputPacer(readCap),
    readCeiling: readCap,
  };
}

export async function runJob(ctx: JobRunContext, started: JobRecord): Promise<void> {
  const { store, workerId, settings } = ctx;
  const { source, target } = containersOf(ctx, started);
  const jobStop = new AbortController();
  const stop = AbortSignal.any([jobStop.signal, ctx.stopping]);
  const running = new Map<string, RunningRange>();
  const leases = new LeaseManager({
    store,
    workerId,
    leaseDurationMs: settings.leaseDurationMs,
    clock: ctx.clock,
    onLost: (rangeId) => ctx.log(`lost the lease on ${rangeId}`),
  });
  let failure: unknown;
  // Aborted when a range ends, so the loop looks at once (the job may be done) instead of at its next poll.
  let rangeEnded = new AbortController();
  let lastRegionCheck = 0;
  let lastProgress = 0;
  let feedRanges: FeedRanges;
  let pacers: Awaited<ReturnType<typeof pacersFor>>;
  let targetRanges: TargetRanges;
  // The target's key comes with its ranges; an online job's changes name items by the source's.
  let sourceKey: PartitionKeyDefinition;
  // The job's transform, loaded once per run (refused if its module file changed since the job was created).
  let transform: ItemTransform | undefined;
  // Online jobs: when `complete` was called, as of the last poll of the job's record.
  let cutover = started.online?.completeRequestedAt;
  try {
    [feedRanges, pacers, targetRanges, sourceKey] = await Promise.all([
      syncRangeRecords(store, started, source, ctx.clock.now()),
      pacersFor(started, source, target),
      TargetRanges.load(target),
      partitionKeyDefinitionOf(source),
    ]);
    transform = started.transform && (await runnableTransform(started.transform, started.name, sourceKey));
  } catch (error) {
    await failJob(store, started.name, describeError(error));
    return;
  }
  const writer = new BulkWriter(target, new AdaptiveConcurrency(), pacers.write, targetRanges);
  // A fixed window (its bounds equal): a plain semaphore over the pages this worker holds.
  const pageSlots = new AdaptiveConcurrency(
    settings.pagesPerWorker,
    settings.pagesPerWorker,
    settings.pagesPerWorker,
  );
  leases.start();

  const startRange = async (range: RangeRecord) => {
    const feedRange = feedRangeOf(feedRanges, range);
    if (!range.continuation && !feedRange) {
      // It split before its first checkpoint: its children's records replace it on the next sync.
      feedRanges = await syncRangeRecords(store, started, source, ctx.clock.now());
      return;
    }
    const lease = await leases.acquire(range);
    if (!lease) return;
    const handOver = new AbortController();
    const applyingChanges = range.drained;
    const work = applyingChanges ? "applying the changes of" : "copying";
    ctx.log(`${work} ${range.id}`);
    const outcome = applyingChanges
      ? tailRange(
          {
            source,
            sourceKey,
            target,
            targetKey: targetRanges.definition as PartitionKeyDefinition,
            writer,
            leases,
            pageSize: started.options.pageSize,
            transform,
            readPacer: pacers.read,
            cutover: () => cutover,
            idleMs: settings.changesPollIntervalMs,
            signal: stop,
            handOver: handOver.signal,
          },
          lease,
        )
      : copyRange(
          {
            source,
            writer,
            conflicts: {
              target,
              targetKey: targetRanges.definition as PartitionKeyDefinition,
              sourceKey,
              writer,
            },
            leases,
            workerId,
            pageSize: started.options.pageSize,
            pagesInFlight: () =>
              Math.max(
                settings.pagesInFlight,
                Math.floor(settings.pagesPerWorker / Math.max(1, running.size)),
              ),
            transform,
            checksums: started.options.verificationMode === "full",
            pageSlots,
            readPacer: pacers.read,
            signal: stop,
            handOver: handOver.signal,
          },
          lease,
          startOf(lease, feedRange),
        );
    const task = outcome
      .then((ended) => ctx.log(`stopped ${work} ${range.id} (${ended})`))
      .catch((error: unknown) => {
        ctx.log(`stopped ${work} ${range.id} (failed)`);
        failure ??= error;
      })
      .finally(async () => {
        await leases.release(range.id);
        running.delete(range.id);
        rangeEnded.abort();
      });
    running.set(range.id, { task, handOver });
  };

  /** Take my share, give back the excess, and pace at my share of the budgets. */
  const balance = async (job: JobRecord, ranges: RangeRecord[]) => {
    const now = ctx.clock.now();
    // Workers that cannot read a cross-account job's source never take a range of it: they get no share.
    const live = (await store.liveWorkers(now - settings.liveWithinMs)).filter((worker) =>
      canReadSource(worker.sourceAccounts, job),
    );
    const views = ranges.map((range) => ({ ...range, finished: rangeFinished(range, job) }));
    const plan = planBalance(
      views,
      live.map((worker) => worker.workerId),
      workerId,
      now,
      new Set(running.keys()),
    );
    for (const id of plan.release) running.get(id)?.handOver.abort();
    const open = views.filter((range) => !range.finished).length;
    // Each open range is copied by one worker at most, so shares by ranges copied never add up past 1; a
    // range being handed over counts for its holder until its last page is written. Set before the new
    // ranges start too, so their first pages never go out at a share this worker does not have.
    const paceAt = (copied: number) => {
      const share = open === 0 ? 1 : copied / open;
      pacers.write.setCeiling(pacers.writeCeiling === undefined ? undefined : pacers.writeCeiling * share);
      pacers.read?.setCeiling((pacers.readCeiling as number) * share);
    };
    paceAt(running.size + plan.take.length);
    // Leases taken at once: each is a write, and the ranges wait for none but their own.
    await Promise.all(
      plan.take.map(async (id) => {
        const range = ranges.find((candidate) => candidate.id === id);
        if (range && !stop.aborted) await startRange(range);
      }),
    );
    paceAt(running.size);
  };

  try {
    const nextPoll = () =>
      sleep(settings.pollIntervalMs, undefined, { signal: AbortSignal.any([stop, rangeEnded.signal]) }).catch(
        () => undefined,
      );
    while (!stop.aborted) {
      rangeEnded = new AbortController();
      await ctx.heartbeat();
      const job = await store.getJob(started.name);
      // Only the run this worker joined: a job paused or failed and resumed since, and running again, is a
      // new run that must not inherit this one's leftovers (a failure of its ranges, its target's routing).
      if (job?.status !== "Running" || job.runningSince !== started.runningSince) break;
      // New options (`updateOptions`): end this run; the worker claims the job again and runs it with them.
      if (!isDeepStrictEqual(job.options, started.options)) {
        ctx.log(`options of ${job.name} changed: restarting from the checkpoints`);
        break;
      }
      if (failure !== undefined) {
        await failJob(store, job.name, describeError(failure));
        break;
      }
      // The job's own account is watched (its state and target: the writes). A cross-account job's source is
      // only read, its change feed carries on across its failover, and what a forced failover lost there
      // the closing check counts.
      if (ctx.clock.now() - lastRegionCheck >= settings.regionCheckIntervalMs) {
        lastRegionCheck = ctx.clock.now();
        const region = await withRetries(() => readWriteRegion(ctx.client));
        if (job.writeRegion && region !== job.writeRegion) {
          await failJob(store, job.name, {
            code: "WriteRegionChanged",
            message: `The account's write region changed from '${job.writeRegion}' to '${region}' while job ${job.name} ran. A copy job cannot continue across a failover: delete this job and create it again.`,
          });
          break;
        }
      }
      cutover = job.online?.completeRequestedAt;
      const ranges = await store.listRanges(job.name);
      if (ctx.clock.now() - lastProgress >= progressIntervalMs) {
        lastProgress = ctx.clock.now();
        await recordProgress(store, job.name, ranges);
      }
      if (ranges.length > 0 && ranges.every((range) => rangeFinished(range, job))) {
        await Promise.all([...running.values()].map((range) => range.task));
        if (await claimVerification(ctx, job)) {
          // The closing reads of the target count against the job's cap too, at the whole of it now (a pacer
          // of their own: the writers' may still be backed off from a 429, or hold a worker's small share).
          const reads = new ThroughputPacer(pacers.writeCeiling);
          const sourceReads =
            pacers.readCeiling === undefined ? undefined : new ThroughputPacer(pacers.readCeiling);
          await complete(ctx, job.name, {
            source,
            target,
            targetKey: targetRanges.definition as PartitionKeyDefinition,
            sourcePacer: sourceReads,
            targetPacer: reads,
            transform,
          });
          break;
        }
        await nextPoll();
        continue;
      }
      await balance(job, ranges);
      await nextPoll();
    }
  } catch (error) {
    await failJob(store, started.name, describeError(error)).catch(() => undefined);
  } finally {
    jobStop.abort();
    await Promise.all([...running.values()].map((range) => range.task));
    leases.stop();
    await leases.releaseAll();
  }
}

/** An online job's phase, changes applied and lag, from its ranges' checkpoints. */
function onlineProgress(job: JobRecord, ranges: RangeRecord[]): OnlineProgress {
  const firstPassDone = ranges.length > 0 && ranges.every((range) => range.drained);
  const completeRequestedAt = job.online?.completeRequestedAt;
  const lags = ranges.flatMap((range) => (range.lag ? [range.lag] : []));
  return {
    phase: completeRequestedAt ? "Completing" : firstPassDone ? "Tailing" : "InitialCopy",
    ...(completeRequestedAt ? { completeRequestedAt } : {}),
    appliedChanges: ranges.reduce((sum, range) => sum + (range.appliedChanges ?? 0), 0),
    ...(firstPassDone
      ? {
          lag: {
            changes: lags.reduce((sum, lag) => sum + lag.changes, 0),
            seconds: Math.max(0, ...lags.map((lag) => lag.seconds)),
          },
        }
      : {}),
  };
}

/** The job's counts, summed from its ranges' checkpoints (and an online job's progress). */
async function recordProgress(
  store: StateStore,
  name: string,
  ranges: RangeRecord[],
): Promise<JobRecord | undefined> {
  const processedByWorker: Record<string, number> = {};
  for (const range of ranges) {
    for (const [worker, count] of Object.entries(range.processedByWorker)) {
      processedByWorker[worker] = (processedByWorker[worker] ?? 0) + count;
    }
  }
  const processedCount = ranges.reduce((sum, range) => sum + range.processedCount, 0);
  const skippedCount = ranges.reduce((sum, range) => sum + (range.skippedCount ?? 0), 0);
  const workerCount = Object.values(processedByWorker).filter((count) => count > 0).length;
  return updateJob(store, name, (job) => {
    const durationMs = runningTime(job);
    const online = job.mode === "Online" ? onlineProgress(job, ranges) : undefined;
    const unchanged =
      job.processedCount === processedCount &&
      (job.skippedCount ?? 0) === skippedCount &&
      job.workerCount === workerCount &&
      isDeepStrictEqual(job.online, online) &&
      durationMs - job.durationMs < durationRefreshMs;
    return unchanged
      ? undefined
      : {
          ...job,
          processedCount,
          skippedCount,
          processedByWorker,
          workerCount,
          durationMs,
          ...(online ? { online } : {}),
        };
  });
}

/**
 * One worker verifies (it reads the whole target): the first to claim the job for it, or anyone once the
 * claimant's heartbeat has stopped. The others wait for the job to end.
 */
async function claimVerification(ctx: JobRunContext, job: JobRecord): Promise<boolean> {
  if (job.verifyingWorker === ctx.workerId) return true;
  if (job.verifyingWorker) {
    const live = await ctx.store.liveWorkers(ctx.clock.now() - ctx.settings.liveWithinMs);
    if (live.some((worker) => worker.workerId === job.verifyingWorker)) return false;
  }
  const claimed = await updateJob(ctx.store, job.name, (current) =>
    current.status === "Running" && current.verifyingWorker === job.verifyingWorker
      ? { ...current, verifyingWorker: ctx.workerId }
      : undefined,
  );
  return claimed?.verifyingWorker === ctx.workerId;
}

/** What the closing check and, if it fails, its diagnosis read, under which pacers, through which transform. */
type ClosingReads = Omit<DiagnosisInput, "pageSize">;

/**
 * Every range finished: verify (the target against the source through the job's transform), then complete
 * (or fail on a mismatch, naming what differs).
 */
async function complete(ctx: JobRunContext, name: string, reads: ClosingReads) {
  const ranges = await ctx.store.listRanges(name);
  const job = await recordProgress(ctx.store, name, ranges);
  if (job?.status !== "Running") return;
  const { verificationMode, pageSize } = job.options;
  const { source, target, targetPacer, transform } = reads;
  const checked = await verifyCopy(
    verificationMode,
    source,
    target,
    ranges,
    pageSize,
    targetPacer,
    job.mode,
    transform,
  );
  const verification = checked.matched
    ? checked
    : await withDifferences(ctx, checked, { ...reads, pageSize });
  await finishJob(ctx.store, name, verification);
  ctx.log(`job ${name} ${verification.matched ? "completed" : "failed verification"}`);
}

/**
 * A failed check with what differs item by item. Finding it reads both sides whole; if that fails the check
 * is kept as it was (its message then gives the counts only).
 */
async function withDifferences(
  ctx: JobRunContext,
  verification: Verification,
  input: DiagnosisInput,
): Promise<Verification> {
  try {
    const differences = await diagnoseMismatch(input);
    ctx.log(`found what differs in ${differences.requestCharge} RU`);
    return { ...verification, differences };
  } catch (error) {
    ctx.log(`could not find what differs: ${describeError(error).message}`);
    return verification;
  }
}
