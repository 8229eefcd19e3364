import type { AdaptiveConcurrency } from "./adaptive-concurrency";
import type { Clock } from "./clock";
import type { Lease, LeaseManager } from "./lease-manager";
import type { StateStore } from "./state-store";
import type { ThroughputPacer } from "./throughput-pacer";
import type { JobError, JobRecord, RangeRecord, Verification } from "./types";

/**
 * The seam between what every copy job shares (job records, the one-job-at-a-time slot, workers, leases,
 * balancing, checkpoints, progress, the closing check's bookkeeping) and what one API's data needs: the
 * way the Data Migration Tool separates its sources and sinks from its pipeline. A worker serves one
 * backend: a Cosmos DB NoSQL account (nosql-backend.ts) or a Cassandra cluster (cassandra/backend.ts).
 *
 * Read side: a range's `RangeReader` pages through its part of the source from the range's checkpoint.
 * Write side: a `PageSink` turns each page into what the target gets and writes it. `copyRange`
 * (range-copy.ts) drives the two for every backend: pages in flight, checkpoints in order, hand-over.
 */

/** One page of a range of the source. */
export interface SourcePage {
  items: Record<string, unknown>[];
  /** Where the next read continues; saved as the range's checkpoint once the page is written. */
  continuation: string;
  /** The range has been read to its end. */
  drained: boolean;
  /** What the read cost in request units (0 where the API has none). */
  requestCharge: number;
}

/** Reads one range of the source, page by page, from its checkpoint (or its beginning). */
export interface RangeReader {
  /** What the last page cost: the estimate a read pacer reserves before the next one. */
  readonly expectedCharge: number;
  next(signal?: AbortSignal): Promise<SourcePage>;
}

export interface WriteCost {
  requestCharge: number;
  /** Writes the target refused for now (throttled, overloaded) and that were sent again. */
  throttled: number;
}

/** A page as the target gets it, ready to be written. */
export interface PreparedPage {
  /**
   * What the target will hold for the page, as plain JSON values (items a transform skipped left out): the
   * copy counts them and, for a checksum-keeping job, sums their hashes (see `BodyChecksum`).
   */
  bodies: Record<string, unknown>[];
  /** Writes the page; writing it again (a replay after a crash) leaves the target as it was. */
  write(signal: AbortSignal): Promise<WriteCost>;
}

export interface PageSink {
  prepare(page: SourcePage): PreparedPage;
}

/** What a worker's job run lends each range it runs. */
export interface RangeRunEnvironment {
  leases: LeaseManager;
  workerId: string;
  /** The most pages of this range written or waiting for their checkpoint at once, asked before each read. */
  pagesInFlight(): number;
  /** Pages the whole worker may hold at once, across its ranges. */
  pageSlots: AdaptiveConcurrency;
  /** Aborted when the range must stop now (job paused, cancelled or failed, worker stopping). */
  signal: AbortSignal;
  /** Aborted when the range is to be handed to another worker (see `copyRange`). */
  handOver: AbortSignal;
  /** Online jobs: when `complete` was called, as of the run's last look at the job. */
  cutover: () => string | undefined;
}

/** How fast one worker's share of a job may spend; undefined ceilings mean no cap. */
export interface JobPacers {
  write: ThroughputPacer;
  writeCeiling?: number;
  read?: ThroughputPacer;
  readCeiling?: number;
}

/** One job's data as a worker running it sees it: its ranges, their copying, and the closing check. */
export interface JobData {
  pacers: JobPacers;
  /** Brings the job's range records in step with the source's ranges, creating the missing ones. */
  syncRanges(now: number): Promise<void>;
  /**
   * Runs one range this worker has leased: its first pass or, for an online job whose range has drained,
   * the source's changes. Resolves with how it ended, for the log; undefined when the range cannot run as
   * recorded (the run syncs the ranges again instead).
   */
  runRange(range: RangeRecord, lease: Lease, env: RangeRunEnvironment): Promise<string> | undefined;
  /** What ends the job now if anything, looked at every few seconds (a change of write region). */
  checkHealth(job: JobRecord): Promise<JobError | undefined>;
  /** The closing check of a job whose ranges have all finished, with what differs when it fails. */
  verify(job: JobRecord, ranges: RangeRecord[], log: (line: string) => void): Promise<Verification>;
}

/** What the backend needs from the worker to open a job. */
export interface JobDataContext {
  store: StateStore;
  clock: Clock;
  /** Online jobs: how long a range that found no new change waits before reading again. */
  changesPollIntervalMs: number;
  log: (line: string) => void;
}

/** One API's side of a worker: its state store, and its jobs' data. */
export interface CopyBackend {
  /** The job state store, created on first use. */
  openState(): Promise<StateStore>;
  /** Whether this worker can run the job (it can read its source). */
  canRun(job: JobRecord): boolean;
  /** Endpoints of other accounts it can read sources from, for its heartbeat (see `WorkerHeartbeat`). */
  readableSources: string[];
  /** What a job records as it starts running (its write region, its source's size). */
  startingFields(job: JobRecord): Promise<Partial<JobRecord>>;
  /** The job's data, for one run of it; a failure here fails the job. */
  openJob(job: JobRecord, context: JobDataContext): Promise<JobData>;
  dispose(): Promise<void>;
}
