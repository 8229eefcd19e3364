import { randomUUID } from "node:crypto";
import * as os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { systemClock, type Clock } from "./clock";
import type { CopyBackend } from "./copy-backend";
import { claimJob } from "./job-lifecycle";
import { runJob, type JobRunSettings } from "./job-run";
import { NoSqlBackend } from "./nosql-backend";
import type { StateStore } from "./state-store";
import type { AccountConnection } from "./types";

/**
 * A worker is this project's server-side compute for one account (or Cassandra cluster): it runs the
 * account's current job (one at a time, in creation order), sharing it with other workers by leasing the
 * source's ranges like the change feed processor, and exits after being idle for `idleTimeoutMs`.
 */
export type WorkerOptions = WhereJobsLive & WorkerTuning;

/** A NoSQL account's connection, or any backend (a Cassandra cluster's: see cassandra/backend.ts). */
export type WhereJobsLive =
  | {
      connection: AccountConnection;
      /**
       * Another account it may read sources from: it then also runs the cross-account jobs that copy from it
       * (their state and targets are in `connection`'s account). Without it, it runs same-account jobs only.
       */
      sourceAccount?: AccountConnection;
      backend?: undefined;
    }
  | { backend: CopyBackend; connection?: undefined; sourceAccount?: undefined };

export interface WorkerTuning {
  workerId?: string;
  /** How long to wait for work before exiting (default 15 minutes). */
  idleTimeoutMs?: number;
  /** How long a feed-range lease lasts unless renewed (it is renewed a few times per period). */
  leaseDurationMs?: number;
  pollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  regionCheckIntervalMs?: number;
  /** Pages of one range written at once while many ranges run (default 4; see `defaultPagesInFlight`). */
  pagesInFlight?: number;
  /** Pages held at once across all of the worker's ranges (default 8): its memory bound. */
  pagesPerWorker?: number;
  /** Online jobs: how long a caught-up range waits before reading the source's changes again (default 500 ms). */
  changesPollIntervalMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

export type WorkerExit = "idle" | "stopped";

/**
 * Pages of one range a worker writes at once by default, while it copies enough ranges to fill its pages;
 * with fewer ranges left, each may use an equal share of the worker's pages (see `JobRunSettings`).
 */
export const defaultPagesInFlight = 4;
/** Pages a worker holds at once across its ranges by default: its memory bound. */
export const defaultPagesPerWorker = 8;

/**
 * The most items a crash makes the next holder copy again, with the default windows: each range re-copies
 * at most the pages it had in flight, and a worker never has more than `defaultPagesPerWorker` of them or
 * `defaultPagesInFlight` per range while it copies more ranges than that fills.
 */
export function maxRecopiedItems(pageSize: number, ranges: number): number {
  return pageSize * Math.max(defaultPagesInFlight * ranges, defaultPagesPerWorker);
}

const defaults = {
  idleTimeoutMs: 15 * 60 * 1000,
  leaseDurationMs: 30_000,
  pollIntervalMs: 500,
  heartbeatIntervalMs: 5_000,
  regionCheckIntervalMs: 5_000,
  pagesInFlight: defaultPagesInFlight,
  pagesPerWorker: defaultPagesPerWorker,
  changesPollIntervalMs: 500,
};

/** Heartbeats this recent mean a worker is alive. */
export function liveWithin(heartbeatIntervalMs: number): number {
  return heartbeatIntervalMs * 3;
}

export class CopyWorker {
  readonly id: string;
  private readonly options: typeof defaults & WorkerTuning;
  private readonly backend: CopyBackend;
  private readonly clock: Clock;
  private readonly stopping = new AbortController();
  private lastHeartbeat = -Infinity;

  constructor(options: WorkerOptions) {
    this.options = { ...defaults, ...options };
    this.id = options.workerId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.backend = options.backend ?? new NoSqlBackend(options.connection, options.sourceAccount);
    this.clock = options.clock ?? systemClock;
  }

  /** Asks the worker to stop: writes in flight are abandoned, checkpoints kept, leases given back. */
  stop(): void {
    this.stopping.abort();
  }

  async run(): Promise<WorkerExit> {
    const store = await this.backend.openState();
    let idleSince = this.clock.now();
    // On its own timer, so a long verification or a slow page never makes this worker look dead; a beat that
    // fails is dropped, the next tick beats again.
    const heartbeats = setInterval(
      () => void this.heartbeat(store).catch(() => undefined),
      this.options.heartbeatIntervalMs,
    );
    try {
      while (!this.stopping.signal.aborted) {
        await this.heartbeat(store);
        const job = await claimJob(
          store,
          (pending) => this.backend.startingFields(pending),
          (candidate) => this.backend.canRun(candidate),
        );
        if (job) {
          this.log(`started job ${job.name}`);
          await runJob(this.jobRunContext(store), job);
          idleSince = this.clock.now();
          continue;
        }
        if (this.clock.now() - idleSince >= this.options.idleTimeoutMs) {
          // Leave the live set first, then look once more: a job created in between would otherwise see
          // this worker alive, start none, and wait for a worker that is about to exit.
          await store.removeHeartbeat(this.id);
          const jobs = await store.listJobs();
          if (!jobs.some((pending) => pending.status === "Pending" && this.backend.canRun(pending))) {
            this.log(`idle for ${Math.round((this.clock.now() - idleSince) / 1000)} s, exiting`);
            return "idle";
          }
          idleSince = this.clock.now();
          await this.heartbeat(store, true);
          continue;
        }
        await sleep(this.options.pollIntervalMs, undefined, { signal: this.stopping.signal }).catch(
          () => undefined,
        );
      }
      return "stopped";
    } finally {
      clearInterval(heartbeats);
      await store.removeHeartbeat(this.id).catch(() => undefined);
      await this.backend.dispose();
    }
  }

  private jobRunContext(store: StateStore) {
    const settings: JobRunSettings = {
      leaseDurationMs: this.options.leaseDurationMs,
      pollIntervalMs: this.options.pollIntervalMs,
      regionCheckIntervalMs: this.options.regionCheckIntervalMs,
      liveWithinMs: liveWithin(this.options.heartbeatIntervalMs),
      pagesInFlight: this.options.pagesInFlight,
      pagesPerWorker: this.options.pagesPerWorker,
      changesPollIntervalMs: this.options.changesPollIntervalMs,
    };
    return {
      backend: this.backend,
      store,
      workerId: this.id,
      settings,
      clock: this.clock,
      stopping: this.stopping.signal,
      heartbeat: () => this.heartbeat(store),
      log: (line: string) => this.log(line),
    };
  }

  private log(line: string): void {
    this.options.log?.(`[worker ${this.id}] ${line}`);
  }

  private async heartbeat(store: StateStore, force = false): Promise<void> {
    const now = this.clock.now();
    if (!force && now - this.lastHeartbeat < this.options.heartbeatIntervalMs) return;
    this.lastHeartbeat = now;
    await store.beat({
      workerId: this.id,
      host: os.hostname(),
      pid: process.pid,
      lastSeen: now,
      ...(this.backend.readableSources.length > 0 ? { sourceAccounts: this.backend.readableSources } : {}),
    });
  }
}
