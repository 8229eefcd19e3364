import { CopyJobError } from "./errors";
import { mismatchMessage } from "./mismatch-message";
import { EtagConflict, updateJob, type StateStore } from "./state-store";
import { runningTime, type JobError, type JobRecord, type JobStatus, type Verification } from "./types";

/**
 * Every change of a job's status, and the account's job slot that goes with it, in one place. Jobs in one
 * account run one at a time, in creation order: the slot document names the job that runs. A job that
 * leaves Running or Pending for anything but each other gives the slot up here, and nowhere else; a paused
 * or failed job that is resumed queues as Pending and is handed the slot like any other.
 */
const allowed: Record<JobStatus, readonly JobStatus[]> = {
  Pending: ["Running", "Paused", "Cancelled", "Failed"],
  Running: ["Completed", "Failed", "Paused", "Cancelled"],
  Paused: ["Pending", "Cancelled"],
  Completed: [],
  // Resumed from its checkpoints once its cause is fixed (see `CopyJobs.resume`), unless `resumeRefusal`.
  Failed: ["Pending"],
  Cancelled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return allowed[from].includes(to);
}

/**
 * Why a failed job cannot be resumed, if it cannot: a failover moved the account's write region while it
 * ran, and the service rules that a copy job does not continue across one.
 */
export function resumeRefusal(job: JobRecord): CopyJobError | undefined {
  if (job.status !== "Failed" || job.error?.code !== "WriteRegionChanged") return undefined;
  return new CopyJobError(
    "JobMustBeRecreated",
    `Cannot resume job '${job.name}': the account's write region changed while it ran (WriteRegionChanged), and a copy job cannot continue across a failover.`,
    `Delete job '${job.name}' and create it again.`,
  );
}

/** The table, and for a failed job a failure it can be resumed from. */
function allows(job: JobRecord, to: JobStatus): boolean {
  return canTransition(job.status, to) && !resumeRefusal(job);
}

/**
 * What a failed job's run recorded that its next run makes untrue: the failure, the closing check and who
 * ran it, the end time. The source is counted again when it starts (it may have gained items since, often
 * why verification failed). What was copied carries on: the counts, the checkpoints, `startedAt`, and the
 * write region, so a failover while the job sat failed fails it again at its first region check.
 */
const clearedOnResume: Partial<JobRecord> = {
  error: undefined,
  verification: undefined,
  verifyingWorker: undefined,
  completedAt: undefined,
  totalCount: 0,
};

/** Statuses that hold (or wait for) the slot. */
function holdsSlot(status: JobStatus): boolean {
  return status === "Running" || status === "Pending";
}

export type TransitionResult =
  { outcome: "changed"; job: JobRecord } | { outcome: "refused"; job: JobRecord } | { outcome: "missing" };

/**
 * Moves job `name` to `to` if its status allows it, applying `patch` in the same conditional write; frees
 * the slot when the job leaves it.
 */
export async function transitionJob(
  store: StateStore,
  name: string,
  to: JobStatus,
  patch: (job: JobRecord) => Partial<JobRecord> = () => ({}),
  now = Date.now(),
): Promise<TransitionResult> {
  let refused = false;
  const job = await updateJob(store, name, (current) => {
    refused = !allows(current, to);
    if (refused) return undefined;
    const ends = to === "Completed" || to === "Failed" || to === "Cancelled";
    return {
      ...current,
      ...(current.status === "Failed" ? clearedOnResume : {}),
      ...patch(current),
      status: to,
      // The job's clock stops whenever it leaves Running, so a pause or a failure it is resumed from
      // never counts as running time.
      ...(current.status === "Running" ? { durationMs: runningTime(current, now) } : {}),
      ...(ends ? { completedAt: new Date(now).toISOString() } : {}),
    };
  });
  if (!job) return { outcome: "missing" };
  if (refused) return { outcome: "refused", job };
  if (!holdsSlot(to)) await releaseJobSlot(store, name);
  return { outcome: "changed", job };
}

/** The user's pause, resume and cancel: a refused transition is an error that says what is allowed. */
export async function requestTransition(
  store: StateStore,
  name: string,
  to: "Paused" | "Pending" | "Cancelled",
): Promise<JobRecord> {
  const result = await transitionJob(store, name, to);
  if (result.outcome === "missing") {
    throw new CopyJobError("JobNotFound", `No copy job named '${name}' exists in this account.`);
  }
  if (result.outcome === "refused") {
    const refusal = to === "Pending" ? resumeRefusal(result.job) : undefined;
    if (refusal) throw refusal;
    const verb = {
      Paused: ["pause", "paused"],
      Pending: ["resume", "resumed"],
      Cancelled: ["cancel", "cancelled"],
    }[to];
    const from = (Object.keys(allowed) as JobStatus[]).filter((status) => canTransition(status, to));
    throw new CopyJobError(
      "InvalidTransition",
      `Cannot ${verb[0]} job '${name}': it is ${result.job.status}. Only a job that is ${from.join(" or ")} can be ${verb[1]}.`,
    );
  }
  return result.job;
}

/** Running → Failed with the reason (a job already ended or paused is left as it is). */
export async function failJob(store: StateStore, name: string, error: JobError): Promise<void> {
  await transitionJob(store, name, "Failed", () => ({ error }));
}

/** Running → Completed or Failed, by the closing verification. */
export async function finishJob(store: StateStore, name: string, verification: Verification): Promise<void> {
  await transitionJob(store, name, verification.matched ? "Completed" : "Failed", (job) => ({
    verification,
    error: verification.matched
      ? undefined
      : {
          code: "VerificationMismatch",
          message: mismatchMessage(verification, job.mode),
        },
  }));
}

/**
 * The job that should run now, claimed for this account's slot: the one holding the slot if it is still
 * Running or Pending, else the oldest Pending job, handed the slot with a conditional write so two workers
 * racing agree on one winner. A Pending job is started by `start` (Pending → Running); undefined when
 * there is nothing to run.
 */
export async function claimJob(
  store: StateStore,
  start: (pending: JobRecord) => Promise<Partial<JobRecord>>,
): Promise<JobRecord | undefined> {
  for (;;) {
    const slot = await store.getJobSlot();
    const holder = slot.runningJob ? await store.getJob(slot.runningJob) : undefined;
    if (holder?.status === "Running") return holder;
    if (holder?.status === "Pending") return startJob(store, holder, start);

    const next = (await store.listJobs()).find((job) => job.status === "Pending");
    if (!next && !slot.runningJob) return undefined;
    try {
      await store.replaceJobSlot({ ...slot, runningJob: next?.name });
    } catch (error) {
      if (error instanceof EtagConflict) continue;
      throw error;
    }
    if (!next) return undefined;
    return startJob(store, next, start);
  }
}

async function startJob(
  store: StateStore,
  pending: JobRecord,
  start: (pending: JobRecord) => Promise<Partial<JobRecord>>,
): Promise<JobRecord | undefined> {
  const fields = await start(pending);
  const now = Date.now();
  const result = await transitionJob(store, pending.name, "Running", (job) => ({
    ...fields,
    startedAt: job.startedAt ?? new Date(now).toISOString(),
    runningSince: new Date(now - job.durationMs).toISOString(),
    writeRegion: job.writeRegion ?? fields.writeRegion,
    totalCount: job.totalCount || (fields.totalCount ?? 0),
  }));
  if (result.outcome === "changed") return result.job;
  // Another worker started it first: run it too.
  return result.outcome === "refused" && result.job.status === "Running" ? result.job : undefined;
}

/** Cancels the job if it is still going, then removes its record and checkpoints. Never touches data. */
export async function removeJob(store: StateStore, name: string): Promise<boolean> {
  await transitionJob(store, name, "Cancelled");
  const deleted = await store.deleteJob(name);
  await releaseJobSlot(store, name);
  return deleted;
}

async function releaseJobSlot(store: StateStore, jobName: string): Promise<void> {
  for (;;) {
    const slot = await store.getJobSlot();
    if (slot.runningJob !== jobName) return;
    try {
      await store.replaceJobSlot({ ...slot, runningJob: undefined });
      return;
    } catch (error) {
      if (!(error instanceof EtagConflict)) throw error;
    }
  }
}
