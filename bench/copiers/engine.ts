import type { CopyJobs, JobRecord, JobSpec } from "../../engine";
import type { JobsHome } from "../../engine/worker-process";
import type { BenchEndpoint } from "../endpoint";
import { JobWatcher } from "../job-watcher";
import { startWorkerProcess } from "../worker-process";

/**
 * (c) This project's engine: a job created through `CopyJobs` (or `CassandraCopyJobs`), run by worker
 * processes as `ensureWorker` would run it. Processes rather than in-process `CopyWorker`s: one event loop
 * cannot show what a second worker adds, and the memory figure must be the worker's alone. The time runs from
 * starting the workers to the time the job's record says it completed, so it includes their start-up and the
 * engine's closing verification. `create` runs the preflight analysis (a full read of a NoSQL source) before
 * that: it is timed apart (`createSeconds`), as a user waits for it before the copy starts.
 * A job that fails, never starts, or loses a worker process ends the run with an error.
 */
export interface EngineRun {
  seconds: number;
  /** How long `create` took: the preflight analysis, and recording the job. */
  createSeconds: number;
  job: JobRecord;
  /** When the workers were started (ms since the epoch), what `seconds` counts from. */
  launchedAt: number;
  /** The workers' ids, as the job's `processedByWorker` names them. */
  workerIds: string[];
  /** The largest peak RSS among the workers, in MB. */
  workerPeakRssMb: number | undefined;
  /** CPU seconds of all the workers together, read as the job completes (undefined without /proc). */
  workerCpuSeconds: number | undefined;
  /** Request units the bench's own polling spent in the state database. */
  pollRequestUnits: number;
}

/** How long a running copy may record no progress before the bench gives it up. */
const stallTimeoutMs = 5 * 60_000;

/** One job for the engine to run: where its workers find it, how it is recorded, how it is followed. */
export interface EngineJob {
  name: string;
  home: JobsHome;
  /** Records the job without starting any worker. */
  create(): Promise<unknown>;
  watcher: JobWatcher;
}

/** A NoSQL job of the bench's endpoint. */
export function copyWithEngine(
  bench: BenchEndpoint,
  jobs: CopyJobs,
  spec: JobSpec,
  workers: number,
): Promise<EngineRun> {
  return runWithWorkers(
    {
      name: spec.name,
      home: bench.connection,
      create: () => jobs.create(spec, { startWorker: false }),
      watcher: JobWatcher.inAccount(bench.client, spec.name),
    },
    workers,
  );
}

export async function runWithWorkers(
  engineJob: EngineJob,
  workers: number,
  startTimeoutMs = 180_000,
): Promise<EngineRun> {
  const { name, watcher } = engineJob;
  const createStarted = performance.now();
  await engineJob.create();
  const createSeconds = (performance.now() - createStarted) / 1000;
  const launchedAt = Date.now();
  const workerIds = Array.from({ length: workers }, (_, i) => `${name}-w${i + 1}`);
  const processes = workerIds.map((id) => startWorkerProcess(engineJob.home, id));
  const startDeadline = Date.now() + startTimeoutMs;
  let progress = { seen: "", at: Date.now() };
  const giveUp = (job: JobRecord | undefined) => {
    if (processes.some((p) => !p.alive())) return `a worker process exited before job ${name} ended`;
    if ((job?.status ?? "Pending") === "Pending" && Date.now() > startDeadline) {
      return `job ${name} did not start running within ${startTimeoutMs / 1000} s (before it runs, a worker counts the source's items)`;
    }
    const seen = `${job?.status} ${job?.processedCount} ${job?.verifyingWorker}`;
    if (seen !== progress.seen) progress = { seen, at: Date.now() };
    // A copy that stands still would hold the account's job slot, and the bench, for ever; a closing
    // verification records nothing until it ends, so it is given all the time it takes.
    if (job?.status === "Running" && !job.verifyingWorker && Date.now() - progress.at > stallTimeoutMs) {
      return `job ${name} recorded no progress for ${stallTimeoutMs / 60_000} minutes while copying`;
    }
    return undefined;
  };
  let stopped = false;
  try {
    const job = await watcher.until(undefined, giveUp);
    if (job.status !== "Completed") {
      throw new Error(`job ${job.name} ended ${job.status}: ${job.error?.code}: ${job.error?.message}`);
    }
    // The record's own completion time (same machine clock), not when a poll happened to see it.
    const seconds = (Date.parse(job.completedAt ?? new Date().toISOString()) - launchedAt) / 1000;
    const peaks = processes.map((p) => p.peakRssMb()).filter((mb): mb is number => mb !== undefined);
    const cpu = processes.map((p) => p.cpuSeconds());
    await Promise.all(processes.map((p) => p.stop()));
    stopped = true;
    return {
      seconds,
      createSeconds,
      job,
      launchedAt,
      workerIds,
      workerPeakRssMb: peaks.length > 0 ? Math.max(...peaks) : undefined,
      workerCpuSeconds: cpu.some((s) => s === undefined)
        ? undefined
        : cpu.reduce((sum: number, s) => sum + (s as number), 0),
      pollRequestUnits: watcher.requestUnits,
    };
  } finally {
    // A worker stuck in a call it retries would take its time to honour SIGTERM.
    if (!stopped) await Promise.all(processes.map((p) => p.kill()));
  }
}
