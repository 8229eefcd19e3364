import type { Container, CosmosClient, FeedRange } from "@azure/cosmos";
import { randomUUID } from "node:crypto";
import * as os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { AdaptiveConcurrency } from "./adaptive-concurrency";
import { BulkWriter } from "./bulk-writer";
import { ThroughputPacer } from "./throughput-pacer";
import { createCosmosClient, readWriteRegion } from "./connection";
import { copyRange, type RangeOutcome } from "./copy-range";
import { CopyJobError, describeError } from "./errors";
import { claimRunningJob, releaseJobSlot } from "./job-slot";
import { withRetries } from "./retry";
import { EtagConflict, StateStore } from "./state-store";
import {
  elapsedSince,
  type AccountConnection,
  type JobError,
  type JobRecord,
  type RangeRecord,
} from "./types";
import { verifyCopy } from "./verification";

/**
 * A worker is this project's server-side compute for one account: it runs the account's current job (one
 * at a time, in creation order), sharing it with other workers by leasing the source's feed ranges like the
 * change feed processor, and exits after being idle for `idleTimeoutMs`.
 */
export interface WorkerOptions {
  connection: AccountConnection;
  workerId?: string;
  /** How long to wait for work before exiting (default 15 minutes). */
  idleTimeoutMs?: number;
  /** How long a feed-range lease lasts without a checkpoint before another worker may take it. */
  leaseDurationMs?: number;
  pollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  regionCheckIntervalMs?: number;
  log?: (line: string) => void;
}

export type WorkerExit = "idle" | "stopped";

const defaults = {
  idleTimeoutMs: 15 * 60 * 1000,
  leaseDurationMs: 60_000,
  pollIntervalMs: 500,
  heartbeatIntervalMs: 5_000,
  regionCheckIntervalMs: 5_000,
};

/** How stale a running job's `durationMs` may get while its counts stand still (e.g. when throttled). */
const durationRefreshMs = 5_000;

/** Heartbeats this recent mean a worker is alive. */
export function liveWithin(heartbeatIntervalMs: number): number {
  return heartbeatIntervalMs * 3;
}

interface RunningRange {
  task: Promise<RangeOutcome>;
  release: boolean;
}

export class CopyWorker {
  readonly id: string;
  private readonly options: typeof defaults & WorkerOptions;
  private readonly client: CosmosClient;
  private stopping = false;
  private lastHeartbeat = 0;

  constructor(options: WorkerOptions) {
    this.options = { ...defaults, ...options };
    this.id = options.workerId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.client = createCosmosClient(options.connection);
  }

  /** Asks the worker to stop after the pages in flight; `run` then resolves with "stopped". */
  stop(): void {
    this.stopping = true;
  }

  async run(): Promise<WorkerExit> {
    const store = await StateStore.open(this.client);
    let idleSince = Date.now();
    try {
      while (!this.stopping) {
        await this.heartbeat(store);
        const job = await claimRunningJob(store, (pending) => this.startJob(store, pending));
        if (job) {
          await this.runJob(store, job);
          idleSince = Date.now();
          continue;
        }
        if (Date.now() - idleSince >= this.options.idleTimeoutMs) {
          // Leave the live set first, then look once more: a job created in between would otherwise see
          // this worker alive, start none, and wait for a worker that is about to exit.
          await store.removeHeartbeat(this.id);
          if (!(await store.listJobs()).some((pending) => pending.status === "Pending")) {
            this.log(`idle for ${Math.round((Date.now() - idleSince) / 1000)} s, exiting`);
            return "idle";
          }
          idleSince = Date.now();
          await this.heartbeat(store, true);
          continue;
        }
        await sleep(this.options.pollIntervalMs);
      }
      return "stopped";
    } finally {
      await store.removeHeartbeat(this.id).catch(() => undefined);
      this.client.dispose();
    }
  }

  private log(line: string): void {
    this.options.log?.(`[worker ${this.id}] ${line}`);
  }

  private async heartbeat(store: StateStore, force = false): Promise<void> {
    if (!force && Date.now() - this.lastHeartbeat < this.options.heartbeatIntervalMs) return;
    this.lastHeartbeat = Date.now();
    await store.beat({ workerId: this.id, host: os.hostname(), pid: process.pid, lastSeen: Date.now() });
  }

  private containers(job: JobRecord): { source: Container; target: Container } {
    return {
      source: this.client.database(job.source.database).container(job.source.container),
      target: this.client.database(job.destination.database).container(job.destination.container),
    };
  }

  /** Pending → Running: records the write region and the source's item count the job starts with. */
  private async startJob(store: StateStore, pending: JobRecord): Promise<JobRecord | undefined> {
    const writeRegion = await withRetries(() => readWriteRegion(this.client));
    const { source } = this.containers(pending);
    const { resources } = await withRetries(() =>
      source.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll(),
    );
    const started = await store.updateJob(pending.name, (job) =>
      job.status === "Pending"
        ? {
            ...job,
            status: "Running",
            startedAt: job.startedAt ?? new Date().toISOString(),
            writeRegion: job.writeRegion ?? writeRegion,
            totalCount: job.totalCount || (resources[0] ?? 0),
          }
        : undefined,
    );
    if (started?.status === "Running") this.log(`started job ${started.name}`);
    return started?.status === "Running" ? started : undefined;
  }

  private async fail(store: StateStore, name: string, error: JobError): Promise<void> {
    this.log(`job ${name} failed: ${error.code}: ${error.message}`);
    await store.updateJob(name, (job) =>
      job.status === "Running" || job.status === "Pending"
        ? {
            ...job,
            status: "Failed",
            error,
            completedAt: new Date().toISOString(),
            durationMs: elapsedSince(job.startedAt),
          }
        : undefined,
    );
    await releaseJobSlot(store, name);
  }

  private async ensureRanges(
    store: StateStore,
    job: JobRecord,
    source: Container,
  ): Promise<Map<string, FeedRange>> {
    const feedRanges = await withRetries(() => source.getFeedRanges());
    // Every time, not only when none exist: a worker killed halfway through creating them must not leave a
    // job whose missing ranges are never copied. Creating a range that exists is a no-op.
    await store.insertRanges(
      feedRanges.map((range, index) => ({
        id: `${job.name}:${index}`,
        jobName: job.name,
        minInclusive: range.minInclusive,
        maxExclusive: range.maxExclusive,
        processedCount: 0,
        processedByWorker: {},
        drained: false,
      })),
    );
    return new Map(feedRanges.map((range) => [`${range.minInclusive}|${range.maxExclusive}`, range]));
  }

  private async runJob(store: StateStore, started: JobRecord): Promise<void> {
    const { source, target } = this.containers(started);
    let feedRanges: Map<string, FeedRange>;
    try {
      feedRanges = await this.ensureRanges(store, started, source);
    } catch (error) {
      return this.fail(store, started.name, describeError(error));
    }
    // Each job learns its own target's budget.
    const writer = new BulkWriter(target, new AdaptiveConcurrency(), new ThroughputPacer());
    const running = new Map<string, RunningRange>();
    let jobActive = true;
    let failure: unknown;
    let lastRegionCheck = 0;
    let lastProgress = 0;

    const startRange = (range: RangeRecord) => {
      const feedRange = feedRanges.get(`${range.minInclusive}|${range.maxExclusive}`);
      if (!feedRange) {
        failure = new CopyJobError(
          "FeedRangesChanged",
          `The source's feed ranges changed while job ${started.name} ran; recreate the job.`,
        );
        return;
      }
      const entry: RunningRange = { release: false, task: Promise.resolve("stopped") };
      entry.task = copyRange(
        {
          store,
          source,
          writer,
          workerId: this.id,
          pageSize: started.options.pageSize,
          leaseDurationMs: this.options.leaseDurationMs,
          shouldStop: async () => !jobActive || entry.release || this.stopping || failure !== undefined,
        },
        range,
        feedRange,
      )
        .catch((error: unknown) => {
          failure ??= error;
          return "stopped" as const;
        })
        .finally(() => running.delete(range.id));
      running.set(range.id, entry);
    };

    try {
      while (!this.stopping) {
        await this.heartbeat(store);
        const job = await store.getJob(started.name);
        jobActive = job?.status === "Running";
        if (!job || !jobActive) break;
        if (failure !== undefined) {
          await this.fail(store, job.name, describeError(failure));
          break;
        }
        if (Date.now() - lastRegionCheck >= this.options.regionCheckIntervalMs) {
          lastRegionCheck = Date.now();
          const region = await withRetries(() => readWriteRegion(this.client));
          if (job.writeRegion && region !== job.writeRegion) {
            await this.fail(store, job.name, {
              code: "WriteRegionChanged",
              message: `The account's write region changed from '${job.writeRegion}' to '${region}' while job ${job.name} ran. A copy job cannot continue across a failover: delete this job and create it again.`,
            });
            break;
          }
        }
        const ranges = await store.listRanges(job.name);
        if (Date.now() - lastProgress >= 1000) {
          lastProgress = Date.now();
          await this.recordProgress(store, job.name, ranges);
        }
        if (ranges.every((range) => range.drained)) {
          await Promise.all([...running.values()].map((r) => r.task));
          await this.complete(store, job.name, source, target);
          break;
        }
        await this.balance(store, ranges, running, startRange);
        await sleep(this.options.pollIntervalMs);
      }
    } catch (error) {
      failure ??= error;
      await this.fail(store, started.name, describeError(error)).catch(() => undefined);
    } finally {
      jobActive = false;
      await Promise.all([...running.values()].map((r) => r.task));
      await this.releaseLeases(store, started.name);
    }
  }

  /** Takes free or expired ranges up to a fair share among live workers, and gives back any excess. */
  private async balance(
    store: StateStore,
    ranges: RangeRecord[],
    running: Map<string, RunningRange>,
    startRange: (range: RangeRecord) => void,
  ): Promise<void> {
    const open = ranges.filter((range) => !range.drained);
    const workers = Math.max(
      1,
      (await store.liveWorkers(liveWithin(this.options.heartbeatIntervalMs))).length,
    );
    const share = Math.ceil(open.length / workers);
    const now = Date.now();
    for (const range of open) {
      if (running.size >= share) break;
      if (running.has(range.id)) continue;
      const free = !range.leaseOwner || range.leaseOwner === this.id || (range.leaseExpiresAt ?? 0) < now;
      if (!free) continue;
      try {
        const leased = await store.replaceRange({
          ...range,
          leaseOwner: this.id,
          leaseExpiresAt: now + this.options.leaseDurationMs,
        });
        startRange(leased);
      } catch (error) {
        if (!(error instanceof EtagConflict)) throw error;
      }
    }
    const excess = [...running.values()].slice(share);
    for (const entry of excess) entry.release = true;
  }

  private async releaseLeases(store: StateStore, jobName: string): Promise<void> {
    for (const range of await store.listRanges(jobName).catch(() => [])) {
      if (range.leaseOwner !== this.id) continue;
      await store
        .replaceRange({ ...range, leaseOwner: undefined, leaseExpiresAt: undefined })
        .catch(() => undefined);
    }
  }

  private async recordProgress(
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
    const workerCount = Object.keys(processedByWorker).length;
    return store.updateJob(name, (job) =>
      job.processedCount === processedCount &&
      job.workerCount === workerCount &&
      elapsedSince(job.startedAt) - job.durationMs < durationRefreshMs
        ? undefined
        : {
            ...job,
            processedCount,
            processedByWorker,
            workerCount,
            durationMs: elapsedSince(job.startedAt),
          },
    );
  }

  /** Every range drained: verify counts and checksums, then complete (or fail on a mismatch). */
  private async complete(
    store: StateStore,
    name: string,
    source: Container,
    target: Container,
  ): Promise<void> {
    const ranges = await store.listRanges(name);
    const job = await this.recordProgress(store, name, ranges);
    if (!job || job.status !== "Running") return;
    const verification = await verifyCopy(source, target, job.options.pageSize);
    const finished = new Date().toISOString();
    await store.updateJob(name, (current) =>
      current.status !== "Running"
        ? undefined
        : {
            ...current,
            status: verification.matched ? "Completed" : "Failed",
            verification,
            error: verification.matched
              ? undefined
              : {
                  code: "VerificationMismatch",
                  message: `The target does not match the source after the copy: source ${verification.sourceCount} items (checksum ${verification.sourceChecksum}), target ${verification.targetCount} items (checksum ${verification.targetChecksum}). Was the source written to during an offline copy, or the target not empty?`,
                },
            completedAt: finished,
            durationMs: elapsedSince(current.startedAt, Date.parse(finished)),
          },
    );
    this.log(`job ${name} ${verification.matched ? "completed" : "failed verification"}`);
    await releaseJobSlot(store, name);
  }
}
