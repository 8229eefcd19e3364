import { isTailing, type JobRecord, type ReplicationLag, type Verification } from "../../engine";
import { SteadyWriter } from "../../test/support/steady-writer";
import { itemBytes, seededKeys } from "../dataset";
import { JobWatcher } from "../job-watcher";
import type { Scenario } from "../scenario";
import { startWorkerProcess } from "../worker-process";

/**
 * An online copy while an application writes flat out. A source of its own (its change feed kept) is copied
 * by one worker process into a target with another partition key; once the job tails, the application
 * creates, replaces and deletes items of the source for a fixed time, as fast as a bounded number of
 * operations in flight allow, while the bench reads the job's record every 250 ms. Then the application
 * stops, the job is completed (the cutover), and the bench compares both containers itself.
 */
export interface OnlinePlan {
  /** Items seeded in the phase's source. */
  items: number;
  /** How long the application writes. */
  writeSeconds: number;
  /** The application's operations in flight at most. */
  inFlight: number;
}

export interface OnlineRun {
  plan: OnlinePlan;
  /** The application's operations that succeeded: each is one change in the source's feed. */
  written: { created: number; replaced: number; deleted: number };
  /** From the application's start until its last operation ended. */
  writeSeconds: number;
  /**
   * Growth of the job's `appliedChanges` from the writes' start to the last record the engine wrote before
   * they stopped, and the time between the two by that record's own update time; absent if the engine
   * wrote none meanwhile.
   */
  applied?: { changes: number; seconds: number };
  /** The largest lag any record read showed, from the writes' start to Completed (each maximum apart). */
  maxLag: ReplicationLag;
  /** From the application's last operation ending (then `complete`) to the record's completion time. */
  cutoverSeconds: number;
  /** Changes the job applied in all since the writes started: every one of the application's, if exact. */
  appliedInAll: number;
  /** The completed record: its own verification. */
  job: JobRecord;
  /** The bench's own check: counts and checksums of both containers. */
  verification: Verification;
}

/** Generous for the first pass and the cutover alike: a stalled job is reported, not waited on forever. */
const stepTimeoutMs = 300_000;

export async function copyOnlineUnderWrites(scenario: Scenario, plan: OnlinePlan): Promise<OnlineRun> {
  // No digits in the source's id: the writer reads an item's number from its id.
  const source = await scenario.seed("online-source", plan.items, true);
  const target = await scenario.target("online-target");
  const spec = { ...scenario.spec("bench-online", target, source), mode: "Online" as const };
  await scenario.jobs.create(spec, { startWorker: false });
  const watcher = JobWatcher.inAccount(scenario.bench.client, spec.name);
  const worker = startWorkerProcess(scenario.bench.connection, `${spec.name}-w1`);
  const writer = new SteadyWriter(source, seededKeys(source.id, plan.items), Infinity, {
    inFlight: plan.inFlight,
    itemBytes,
  });
  const giveUpAfter = (step: string) => {
    const deadline = Date.now() + stepTimeoutMs;
    return () => {
      if (!worker.alive()) return `the worker process exited while ${step}`;
      return Date.now() > deadline
        ? `job ${spec.name}: ${step} took over ${stepTimeoutMs / 1000} s`
        : undefined;
    };
  };
  let last: JobRecord | undefined;
  try {
    const tailing = await watcher.until(isTailing, giveUpAfter("waiting for the first pass to end"));
    last = tailing;
    if (!isTailing(tailing))
      throw new Error(`job ${spec.name} ended ${describeEnd(tailing)} before it tailed`);
    const before = tailing.online?.appliedChanges ?? 0;

    const samples: JobRecord[] = [];
    const started = Date.now();
    writer.start();
    last = await watcher.until((job) => {
      samples.push(job);
      return Date.now() - started >= plan.writeSeconds * 1000;
    }, giveUpAfter("the application wrote"));
    const counts = await writer.stop();
    const stopped = Date.now();
    if (!isTailing(last)) throw new Error(`job ${spec.name} ended ${describeEnd(last)} while tailing`);

    await scenario.jobs.complete(spec.name, { startWorker: false });
    last = await watcher.until((job) => {
      samples.push(job);
      return false;
    }, giveUpAfter("completing"));
    if (last.status !== "Completed") throw new Error(`job ${spec.name} ended ${describeEnd(last)}`);

    // The last record the engine wrote while the application wrote: its count is exact as of its own time,
    // where the time the bench read it would add up to a second of the engine's progress interval.
    const end = samples.filter((job) => within(job.lastUpdatedUtcTime, started, stopped)).at(-1);
    const run: OnlineRun = {
      plan,
      written: { created: counts.created, replaced: counts.replaced, deleted: counts.deleted },
      writeSeconds: (stopped - started) / 1000,
      ...(end && {
        applied: {
          changes: (end.online?.appliedChanges ?? before) - before,
          seconds: (Date.parse(end.lastUpdatedUtcTime) - started) / 1000,
        },
      }),
      maxLag: {
        changes: Math.max(0, ...samples.map((job) => job.online?.lag?.changes ?? 0)),
        seconds: Math.max(0, ...samples.map((job) => job.online?.lag?.seconds ?? 0)),
      },
      cutoverSeconds: (Date.parse(last.completedAt ?? "") - stopped) / 1000,
      appliedInAll: (last.online?.appliedChanges ?? 0) - before,
      job: last,
      verification: await scenario.verified(target, source),
    };
    await worker.stop();
    return run;
  } finally {
    await writer.stop().catch(() => undefined);
    // A job left tailing would hold the account's job slot, and every later phase would wait behind it.
    if (!last || last.status === "Running" || last.status === "Pending") {
      await scenario.jobs.cancel(spec.name).catch(() => undefined);
    }
    // Killed: a worker stuck in a call it retries would take its time to honour SIGTERM.
    if (worker.alive()) await worker.kill();
  }
}

function within(time: string, from: number, to: number): boolean {
  const at = Date.parse(time);
  return at > from && at <= to;
}

function describeEnd(job: JobRecord): string {
  return job.error ? `${job.status}: ${job.error.code}: ${job.error.message}` : job.status;
}
