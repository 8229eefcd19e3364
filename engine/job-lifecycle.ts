import { CopyJobError } from "./errors";
import { EtagConflict, updateJob, type StateStore } from "./state-store";
import { runningTime, type JobError, type JobRecord, type JobStatus, type Verification } from "./types";

/**
 * Every change of a job's status, and the account's job slot that goes with it, in one place. Jobs in one
 * account run one at a time, in creation order: the slot document names the job that runs. A job that
 * leaves Running or Pending for anything but each other gives the slot up here, and nowhere else.
 */
const allowed: Record<JobStatus, readonly JobStatus[]> = {
  Pending: ["Running", "Paused", "Cancelled", "Failed"],
  Running: ["Completed", "Failed", "Paused", "Cancelled"],
  Paused: ["Pending", "Cancelled"],
  Completed: [],
  Failed: [],
  Cancelled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return allowed[from].includes(to);
}

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
    refused = !canTransition(current.status, to);
    if (refused) return undefined;
    const ends = to === "Completed" || to === "Failed" || to === "Cancelled";
    return {
      ...current,
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

/** What differed, in the words of the mode that checked. */
function mismatchMessage(verification: Verification): string {
  const { sourceCount, copiedCount, targetCount } = verification;
  const counts =
    verification.mode === "full"
      ? `the source has ${sourceCount} items, the copy read ${copiedCount} (checksum ${verification.sourceChecksum}), the target has ${targetCount} (checksum ${verification.targetChecksum})`
      : `the source has ${sourceCount} items, the copy read ${copiedCount}, the target has ${targetCount}`;
  const sample = verification.sampleMismatches?.length
    ? `; of ${verification.sampledItems} sampled items the target lacks or differs on ${verification.sampleMismatches.map((id) => `'${id}'`).join(", ")}`
    : "";
  return `The target does not match the source after the copy: ${counts}${sample}. Was the source written to during an offline copy, or the target not empty?`;
}

/** Running → Completed or Failed, by the closing verification. */
export async function finishJob(store: StateStore, name: string, verification: Verification): Promise<void> {
  await transitionJob(store, name, verification.matched ? "Completed" : "Failed", () => ({
    verification,
    error: verification.matched
      ? undefined
      : {
          code: "VerificationMismatch",
          message: mismatchMessage(verification),
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
