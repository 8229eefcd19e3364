import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { AdaptiveConcurrency } from "./adaptive-concurrency";
import { planBalance } from "./balancer";
import type { Clock } from "./clock";
import type { CopyBackend, JobData } from "./copy-backend";
import { describeError } from "./errors";
import { failJob, finishJob } from "./job-lifecycle";
import { rangeFinished } from "./job-ranges";
import { LeaseManager } from "./lease-manager";
import { canReadSource } from "./source-account";
import { updateJob, type StateStore } from "./state-store";
import { runningTime, type JobRecord, type OnlineProgress, type RangeRecord } from "./types";

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
  /** The job's data: its source, target and closing check (NoSQL or Cassandra). */
  backend: CopyBackend;
  store: StateStore;
  workerId: string;
  settings: JobRunSettings;
  clock: Clock;
  /** Aborted when the worker is asked to stop. */
  stopping: AbortSignal;
  heartbeat(): Promise<void>;
  log: (line: string) => void;
}

/** How stale a running job's `durationMs` may get while its counts stand still (e.g. when throttled). */
const durationRefreshMs = 5_000;
const progressIntervalMs = 1_000;

interface RunningRange {
  task: Promise<void>;
  handOver: AbortController;
}

export async function runJob(ctx: JobRunContext, started: JobRecord): Promise<void> {
  const { store, workerId, settings } = ctx;
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
  let lastHealthCheck = 0;
  let lastProgress = 0;
  let data: JobData;
  // Online jobs: when `complete` was called, as of the last poll of the job's record.
  let cutover = started.online?.completeRequestedAt;
  try {
    data = await ctx.backend.openJob(started, {
      store,
      clock: ctx.clock,
      changesPollIntervalMs: settings.changesPollIntervalMs,
      log: ctx.log,
    });
  } catch (error) {
    await failJob(store, started.name, describeError(error));
    return;
  }
  const { pacers } = data;
  // A fixed window (its bounds equal): a plain semaphore over the pages this worker holds.
  const pageSlots = new AdaptiveConcurrency(
    settings.pagesPerWorker,
    settings.pagesPerWorker,
    settings.pagesPerWorker,
  );
  leases.start();

  const startRange = async (range: RangeRecord) => {
    const lease = await leases.acquire(range);
    if (!lease) return;
    const handOver = new AbortController();
    const work = range.drained ? "applying the changes of" : "copying";
    const outcome = data.runRange(range, lease, {
      leases,
      workerId,
      pagesInFlight: () =>
        Math.max(settings.pagesInFlight, Math.floor(settings.pagesPerWorker / Math.max(1, running.size))),
      pageSlots,
      signal: stop,
      handOver: handOver.signal,
      cutover: () => cutover,
    });
    if (!outcome) {
      // It cannot run as recorded (it split before its first checkpoint): its records are brought in step.
      await leases.release(range.id);
      await data.syncRanges(ctx.clock.now());
      return;
    }
    ctx.log(`${work} ${range.id}`);
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
      if (ctx.clock.now() - lastHealthCheck >= settings.regionCheckIntervalMs) {
        lastHealthCheck = ctx.clock.now();
        const problem = await data.checkHealth(job);
        if (problem) {
          await failJob(store, job.name, problem);
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
          await complete(ctx, job.name, data);
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

/** Every range finished: verify (see `JobData.verify`), then complete, or fail on a mismatch. */
async function complete(ctx: JobRunContext, name: string, data: JobData) {
  const ranges = await ctx.store.listRanges(name);
  const job = await recordProgress(ctx.store, name, ranges);
  if (job?.status !== "Running") return;
  const verification = await data.verify(job, ranges, ctx.log);
  await finishJob(ctx.store, name, verification);
  ctx.log(`job ${name} ${verification.matched ? "completed" : "failed verification"}`);
}
