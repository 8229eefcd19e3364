import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { CopyJobError } from "./errors";
import { refuseOtherCopy } from "./job-identity";
import { removeJob, requestTransition } from "./job-lifecycle";
import { reopenRanges, restartRanges } from "./job-ranges";
import { sourceConnectionFor } from "./source-account";
import { updateJob, type StateStore } from "./state-store";
import { terminalStatuses, type AccountConnection, type CopyOptions, type JobRecord } from "./types";

/**
 * For calls on a cross-account job (one whose spec had `sourceAccount`) that read its source or start its
 * workers: the source account's connection, which the job does not keep. Its endpoint must be the job's.
 */
export interface SourceAccess {
  sourceAccount?: AccountConnection;
}

export interface StartOptions {
  /** Start background worker processes until the job's `workerCount` are alive (default true). */
  startWorker?: boolean;
}

export interface WaitOptions extends SourceAccess {
  timeoutMs?: number;
  pollIntervalMs?: number;
  onProgress?: (job: JobRecord) => void;
  /**
   * While the job is Pending, start background workers whenever fewer than it wants are alive (default
   * false). A cross-account job with no live worker that can read its source, and no `sourceAccount` to
   * start one with, ends the wait with `NoWorkerForSource`.
   */
  startWorkerIfNone?: boolean;
  /** Stop waiting once this holds of the job, ended or not (e.g. `isTailing`: an online job never ends alone). */
  until?: (job: JobRecord) => boolean;
}

const workerCheckIntervalMs = 5_000;

/** What a new job's record says of its spec; the rest is what every job starts with. */
export type NewJobFields = Pick<JobRecord, "name" | "source" | "destination" | "mode" | "options"> &
  Partial<JobRecord>;

/** A job as created: Pending, nothing copied, its clock not started. */
export function newJobRecord(fields: NewJobFields, createdAt = new Date().toISOString()): JobRecord {
  return {
    id: fields.name,
    status: "Pending",
    processedCount: 0,
    skippedCount: 0,
    totalCount: 0,
    workerCount: 0,
    processedByWorker: {},
    createdAt,
    lastUpdatedUtcTime: createdAt,
    durationMs: 0,
    ...fields,
  };
}

/**
 * What every kind of copy job shares once it exists, whatever API it copies (NoSQL: jobs.ts; Cassandra:
 * cassandra/jobs.ts): inspect, pause, resume, change options, complete, cancel, delete and wait, all
 * through the job's state store. Each kind says where its state is, how its workers start, how a failed
 * job resumes and which options it takes.
 */
export abstract class JobControl {
  /** Where the jobs live, for messages: a NoSQL account, or a Cassandra cluster. */
  protected abstract readonly place: "account" | "cluster";
  /** The state store, created on first use; failing to reach it is explained. */
  protected abstract state(): Promise<StateStore>;
  /** The state store if it exists, for read-only calls that must not create it. */
  protected abstract existingState(): Promise<StateStore | undefined>;
  /** Starts background workers until as many as the job wants are alive. */
  protected abstract startWorkers(
    store: StateStore,
    job: JobRecord,
    sourceAccount: AccountConnection | undefined,
  ): Promise<void>;
  /** Where a failed job carries on from: its checkpoints, or the start; refused when it cannot go on. */
  protected abstract resumePoint(
    store: StateStore,
    job: JobRecord,
    sourceAccount: AccountConnection | undefined,
  ): Promise<"checkpoints" | "start">;
  /** Options checked as `create` checks them. */
  protected abstract validOptions(
    job: JobRecord,
    options: CopyOptions,
    sourceAccount: AccountConnection | undefined,
  ): Promise<CopyOptions>;
  abstract dispose(): void;

  /**
   * Stores a new job, or finds the one a concurrent create of the same spec stored first (another copy under
   * its name is refused), and starts its workers unless asked not to.
   */
  protected async recordNewJob(
    store: StateStore,
    job: JobRecord,
    options: StartOptions,
    sourceAccount?: AccountConnection,
  ): Promise<JobRecord> {
    const created = (await store.insertJob(job)) ?? (await store.getJob(job.name));
    if (!created) {
      throw new CopyJobError("JobNotFound", `Job '${job.name}' vanished while it was being created.`);
    }
    refuseOtherCopy(created, job);
    if (options.startWorker !== false && !terminalStatuses.includes(created.status)) {
      await this.startWorkers(store, created, sourceAccount);
    }
    return created;
  }

  async find(name: string): Promise<JobRecord | undefined> {
    const store = await this.existingState();
    return store?.getJob(name);
  }

  async get(name: string): Promise<JobRecord> {
    const job = await this.find(name);
    if (!job) {
      throw new CopyJobError(
        "JobNotFound",
        `No copy job named '${name}' exists in this ${this.place}.`,
        "List jobs to see their names.",
      );
    }
    return job;
  }

  async list(): Promise<JobRecord[]> {
    const store = await this.existingState();
    return store ? store.listJobs() : [];
  }

  protected async transition(name: string, to: "Paused" | "Cancelled"): Promise<JobRecord> {
    await this.get(name);
    return requestTransition(await this.state(), name, to);
  }

  pause(name: string): Promise<JobRecord> {
    return this.transition(name, "Paused");
  }

  /**
   * A paused job, or a failed one whose cause is fixed, queues again and carries on (see `resumePoint`); as
   * the oldest unfinished job it runs as soon as the slot is free. A failed job that cannot carry on is
   * refused with nothing written.
   */
  async resume(name: string, options: StartOptions & SourceAccess = {}): Promise<JobRecord> {
    const job = await this.get(name);
    const sourceAccount = sourceConnectionFor(job, options.sourceAccount);
    const store = await this.state();
    if (job.status === "Failed") {
      const from = await this.resumePoint(store, job, sourceAccount);
      // An online job's ranges read on anyway: the first pass where it stopped, then the changes since.
      if (from === "checkpoints" && job.mode === "Offline") await reopenRanges(store, name);
      else {
        await restartRanges(store, name);
        await updateJob(store, name, (current) => ({
          ...current,
          processedCount: 0,
          skippedCount: 0,
          processedByWorker: {},
        }));
      }
    }
    const resumed = await requestTransition(store, name, "Pending");
    if (options.startWorker !== false) {
      await this.startWorkers(store, resumed, sourceAccount);
    }
    return resumed;
  }

  /**
   * Changes a job's tuning in place: page size, workers, throughput caps, verification mode. Workers running
   * it notice at their next poll and restart their part from the checkpoints with the new options; more
   * workers are started if it now wants more than are alive (fewer takes effect as workers are started
   * again). A job that has ended keeps what it ran with. "full" verification needs the checksums a copy
   * keeps from its first page, so it cannot be chosen once the job has started. A cross-account job needs
   * `sourceAccount` (its source's cap is checked there, and its workers read it).
   */
  async updateOptions(
    name: string,
    options: Partial<CopyOptions>,
    access: SourceAccess = {},
  ): Promise<JobRecord> {
    const job = await this.get(name);
    const sourceAccount = sourceConnectionFor(job, access.sourceAccount);
    const valid = { options: await this.validOptions(job, { ...job.options, ...options }, sourceAccount) };
    let refusal: CopyJobError | undefined;
    const updated = await updateJob(await this.state(), name, (current) => {
      if (terminalStatuses.includes(current.status) || isDeepStrictEqual(current.options, valid.options))
        return undefined;
      if (
        valid.options.verificationMode === "full" &&
        current.options.verificationMode !== "full" &&
        current.startedAt !== undefined
      ) {
        refusal = new CopyJobError(
          "InvalidTransition",
          `Cannot change job '${name}' to verificationMode "full": it started copying without the checksums that mode compares.`,
          'Keep "sampled", or copy again under a new job name with "full".',
          { field: "verificationMode" },
        );
        return undefined;
      }
      return { ...current, options: valid.options };
    });
    if (refusal) throw refusal;
    const result = updated ?? job;
    if (result.status === "Pending" || result.status === "Running")
      await this.startWorkers(await this.state(), result, sourceAccount);
    return result;
  }

  cancel(name: string): Promise<JobRecord> {
    return this.transition(name, "Cancelled");
  }

  /**
   * The cutover of an online job: its ranges apply every change the source logged before now, then the job
   * verifies the target against the source and ends (`wait` for it). Stop the application's writes to the
   * source first: a change made after this is not copied, and fails the closing check. Asking again keeps
   * the first time asked. Offline jobs complete on their own. Starts background workers if fewer than the
   * job wants are alive (unless `startWorker` is false); a cross-account job then needs `sourceAccount`.
   */
  async complete(name: string, options: StartOptions & SourceAccess = {}): Promise<JobRecord> {
    const job = await this.get(name);
    if (job.mode !== "Online") {
      throw new CopyJobError(
        "InvalidTransition",
        `Cannot complete job '${name}': it runs in ${job.mode} mode, which completes on its own when every item is copied.`,
        "Use `show` to watch it; `complete` applies only to Online jobs.",
      );
    }
    if (job.status !== "Pending" && job.status !== "Running") {
      throw new CopyJobError(
        "InvalidTransition",
        `Cannot complete job '${name}': it is ${job.status}. Only a job that is Pending or Running can be completed.`,
        job.status === "Paused" ? `Resume it first: resume ${name}.` : undefined,
      );
    }
    const sourceAccount =
      options.startWorker === false ? undefined : sourceConnectionFor(job, options.sourceAccount);
    const now = new Date().toISOString();
    const updated = await updateJob(await this.state(), name, (current) => {
      if (current.online?.completeRequestedAt) return undefined;
      if (current.status !== "Pending" && current.status !== "Running") return undefined;
      const online = current.online ?? { phase: "InitialCopy", appliedChanges: 0 };
      return { ...current, online: { ...online, phase: "Completing", completeRequestedAt: now } };
    });
    // Workers serve the account and may have stopped since the job started (a machine restarted): without
    // one, the cutover would wait forever.
    if (options.startWorker !== false) {
      await this.startWorkers(await this.state(), updated ?? job, sourceAccount);
    }
    return updated ?? (await this.get(name));
  }

  /** Cancels the job if it is still going, then removes its record and checkpoints. Never touches data. */
  async delete(name: string): Promise<boolean> {
    const store = await this.existingState();
    if (!store || !(await store.getJob(name))) return false;
    return removeJob(store, name);
  }

  /** Polls the job's record until it ends (or `until` holds); returns it whatever its status. */
  async wait(name: string, options: WaitOptions = {}): Promise<JobRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    const sourceAccount = (job: JobRecord) =>
      options.sourceAccount && sourceConnectionFor(job, options.sourceAccount);
    let workerCheckedAt = Date.now();
    for (;;) {
      const job = await this.get(name);
      options.onProgress?.(job);
      if (terminalStatuses.includes(job.status) || options.until?.(job)) return job;
      // A worker that crashed, or went idle just as the job was created, leaves it Pending: start another.
      if (
        options.startWorkerIfNone &&
        job.status === "Pending" &&
        Date.now() - workerCheckedAt >= workerCheckIntervalMs
      ) {
        workerCheckedAt = Date.now();
        await this.startWorkers(await this.state(), job, sourceAccount(job));
      }
      if (Date.now() >= deadline) {
        throw new CopyJobError(
          "WaitTimedOut",
          `Job '${name}' is still ${job.status} (${job.processedCount}/${job.totalCount} items) after waiting ${options.timeoutMs} ms; it keeps running.`,
        );
      }
      await sleep(options.pollIntervalMs ?? 1000);
    }
  }
}
