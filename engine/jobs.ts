import type { CosmosClient } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { createCosmosClient } from "./connection";
import { CopyJobError, explainConnectionError, ownerResourceMissing, serviceStatus } from "./errors";
import { releaseJobSlot } from "./job-slot";
import { StateStore } from "./state-store";
import {
  elapsedSince,
  terminalStatuses,
  type AccountConnection,
  type ContainerRef,
  type JobRecord,
  type JobSpec,
  type JobStatus,
} from "./types";
import { validateJobSpec } from "./validation";
import { ensureWorker } from "./worker-launcher";

/**
 * The copy-job API the Pulumi provider and the CLI share: create (idempotent by name), inspect, pause,
 * resume, cancel, delete and wait. It validates everything before it writes anything.
 */
export interface CreateOptions {
  /** Start a background worker process if none is alive (default true). */
  startWorker?: boolean;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  onProgress?: (job: JobRecord) => void;
  /** While the job is Pending, start a background worker whenever none is alive (default false). */
  startWorkerIfNone?: boolean;
}

const workerCheckIntervalMs = 5_000;

function sameContainer(a: ContainerRef, b: ContainerRef): boolean {
  return a.database === b.database && a.container === b.container;
}

/** A job name is one copy: the same name for other containers is refused (the same spec is idempotent). */
function refuseOtherCopy(existing: JobRecord, wanted: JobSpec): void {
  if (
    sameContainer(existing.source, wanted.source) &&
    sameContainer(existing.destination, wanted.destination)
  )
    return;
  throw new CopyJobError(
    "JobNameInUse",
    `A job named '${existing.name}' already exists and copies ${existing.source.database}/${existing.source.container} → ${existing.destination.database}/${existing.destination.container}.`,
    "Choose another job name, or delete the existing job first.",
  );
}

export class CopyJobs {
  private store: StateStore | undefined;

  private constructor(
    private readonly connection: AccountConnection,
    readonly client: CosmosClient,
  ) {}

  static connect(connection: AccountConnection): CopyJobs {
    return new CopyJobs(connection, createCosmosClient(connection));
  }

  dispose(): void {
    this.client.dispose();
  }

  /** The state database, created on first use; failing to reach the account is explained here. */
  private async state(): Promise<StateStore> {
    try {
      this.store ??= await StateStore.open(this.client);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    return this.store;
  }

  /** The state database if it exists, for read-only calls that must not create it. */
  private async existingState(): Promise<StateStore | undefined> {
    try {
      this.store ??= await StateStore.openExisting(this.client);
      return this.store;
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
  }

  /** Looks a container up; a missing database or container is reported as the service's 1003. */
  private async requireContainer(role: "source" | "destination", ref: ContainerRef): Promise<void> {
    try {
      await this.client.database(ref.database).read();
    } catch (error) {
      if (serviceStatus(error)?.code === 404) throw ownerResourceMissing(role, "database", ref.database);
      throw error;
    }
    try {
      await this.client.database(ref.database).container(ref.container).read();
    } catch (error) {
      if (serviceStatus(error)?.code === 404) {
        throw ownerResourceMissing(role, "container", `${ref.database}/${ref.container}`);
      }
      throw error;
    }
  }

  /** Everything `create` checks before writing: the spec's shape, then that both containers exist. */
  async preflight(spec: JobSpec): Promise<ReturnType<typeof validateJobSpec>> {
    const valid = validateJobSpec(spec);
    try {
      await this.requireContainer("source", valid.source);
      await this.requireContainer("destination", valid.destination);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    const existing = await (await this.existingState())?.getJob(valid.name);
    if (existing) refuseOtherCopy(existing, valid);
    return valid;
  }

  async create(spec: JobSpec, options: CreateOptions = {}): Promise<JobRecord> {
    const valid = await this.preflight(spec);
    const store = await this.state();
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: valid.name,
      name: valid.name,
      source: valid.source,
      destination: valid.destination,
      mode: "Offline",
      status: "Pending",
      options: valid.options,
      processedCount: 0,
      totalCount: 0,
      workerCount: 0,
      processedByWorker: {},
      createdAt: now,
      lastUpdatedUtcTime: now,
      durationMs: 0,
    };
    const created = (await store.insertJob(job)) ?? (await store.getJob(valid.name));
    if (!created) {
      throw new CopyJobError("JobNotFound", `Job '${valid.name}' vanished while it was being created.`);
    }
    refuseOtherCopy(created, valid);
    if (options.startWorker !== false && !terminalStatuses.includes(created.status)) {
      await ensureWorker(store, this.connection);
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
        `No copy job named '${name}' exists in this account.`,
        "List jobs to see their names.",
      );
    }
    return job;
  }

  async list(): Promise<JobRecord[]> {
    const store = await this.existingState();
    return store ? store.listJobs() : [];
  }

  private async transition(
    name: string,
    from: readonly JobStatus[],
    to: JobStatus,
    verb: string,
  ): Promise<JobRecord> {
    await this.get(name);
    const store = await this.state();
    let refused: JobStatus | undefined;
    const job = await store.updateJob(name, (current) => {
      if (!from.includes(current.status)) {
        refused = current.status;
        return undefined;
      }
      refused = undefined;
      return {
        ...current,
        status: to,
        ...(to === "Cancelled"
          ? { completedAt: new Date().toISOString(), durationMs: elapsedSince(current.startedAt) }
          : {}),
      };
    });
    if (!job) throw new CopyJobError("JobNotFound", `No copy job named '${name}' exists in this account.`);
    if (refused) {
      throw new CopyJobError(
        "InvalidTransition",
        `Cannot ${verb} job '${name}': it is ${refused}. Only a job that is ${from.join(" or ")} can be ${verb === "cancel" ? "cancelled" : `${verb}d`}.`,
      );
    }
    if (to !== "Running" && to !== "Pending") await releaseJobSlot(store, name);
    return job;
  }

  pause(name: string): Promise<JobRecord> {
    return this.transition(name, ["Pending", "Running"], "Paused", "pause");
  }

  /** A resumed job queues again; as the oldest unfinished job it runs as soon as the slot is free. */
  async resume(name: string, options: CreateOptions = {}): Promise<JobRecord> {
    const job = await this.transition(name, ["Paused"], "Pending", "resume");
    if (options.startWorker !== false) await ensureWorker(await this.state(), this.connection);
    return job;
  }

  cancel(name: string): Promise<JobRecord> {
    return this.transition(name, ["Pending", "Running", "Paused"], "Cancelled", "cancel");
  }

  /** Offline jobs finish on their own; `complete` is only meaningful for online jobs, which we do not run. */
  async complete(name: string): Promise<never> {
    const job = await this.get(name);
    throw new CopyJobError(
      "InvalidTransition",
      `Cannot complete job '${name}': it runs in ${job.mode} mode, which completes on its own when every item is copied.`,
      "Use `show` to watch it; `complete` applies only to Online jobs.",
    );
  }

  /** Cancels the job if it is still going, then removes its record and checkpoints. Never touches data. */
  async delete(name: string): Promise<boolean> {
    const store = await this.existingState();
    const job = await store?.getJob(name);
    if (!store || !job) return false;
    if (!terminalStatuses.includes(job.status)) await this.cancel(name).catch(() => undefined);
    const deleted = await store.deleteJob(name);
    await releaseJobSlot(store, name);
    return deleted;
  }

  /** Polls the job's record until it ends; returns it whatever its final status. */
  async wait(name: string, options: WaitOptions = {}): Promise<JobRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    let workerCheckedAt = Date.now();
    for (;;) {
      const job = await this.get(name);
      options.onProgress?.(job);
      if (terminalStatuses.includes(job.status)) return job;
      // A worker that crashed, or went idle just as the job was created, leaves it Pending: start another.
      if (
        options.startWorkerIfNone &&
        job.status === "Pending" &&
        Date.now() - workerCheckedAt >= workerCheckIntervalMs
      ) {
        workerCheckedAt = Date.now();
        await ensureWorker(await this.state(), this.connection);
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
