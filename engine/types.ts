import type { TokenCredential } from "@azure/identity";
import type { TransformRecord, TransformSpec } from "./item-transform";

/**
 * Where a container lives. A Cassandra job's records keep its tables in the same shape (`database` is the
 * keyspace, `container` the table: see `JobRecord.api`), so the machinery every job shares names both alike.
 */
export interface ContainerRef {
  database: string;
  container: string;
}

/** Where a Cassandra table lives. */
export interface TableRef {
  keyspace: string;
  table: string;
}

/**
 * How to reach a Cosmos DB account: the account key, or an Entra ID credential (DefaultAzureCredential or
 * any `@azure/identity` TokenCredential). The key is never logged, never put in an error and never on a
 * command line.
 */
export type AccountConnection = (
  | { endpoint: string; key: string; credential?: undefined }
  | { endpoint: string; credential: TokenCredential; key?: undefined }
) & {
  /** PEM of a certificate to trust (a local emulator's self-signed one); NODE_EXTRA_CA_CERTS works too. */
  caCertificate?: string;
  /** Skip TLS verification: only for a local emulator, never the default. */
  insecureTls?: boolean;
};

export const jobStatuses = ["Pending", "Running", "Paused", "Completed", "Failed", "Cancelled"] as const;
export type JobStatus = (typeof jobStatuses)[number];
export const terminalStatuses: readonly JobStatus[] = ["Completed", "Failed", "Cancelled"];

/**
 * A cap on the request units a job spends on one side of the copy: an absolute rate, or a share of the
 * container's provisioned throughput (its manual RU/s, its autoscale maximum, or its database's shared
 * offer). Exactly one of the two is set.
 */
export type ThroughputLimit = { requestUnitsPerSecond: number } | { percentOfProvisioned: number };

/**
 * How the closing check looks at the target. "sampled" (the default): exact item counts of source, copy and
 * target, plus a sample of items compared body by body. "full": the target read once more in full, its
 * count and checksum against those of every body the copy read (it costs the target's size in reads).
 */
export const verificationModes = ["sampled", "full"] as const;
export type VerificationMode = (typeof verificationModes)[number];

/** Tuning a job carries; the defaults suit a worker on a small machine. */
export interface CopyOptions {
  /** Items read per change-feed page and checkpointed together. */
  pageSize: number;
  /** Worker processes the job wants; creating the job starts as many as are not already alive. */
  workerCount: number;
  /** The most RU/s the job's writes may spend in the target (default: all of its throughput). */
  targetThroughputLimit?: ThroughputLimit;
  /** The most RU/s the job's change-feed reads may spend in the source (default: no cap). */
  sourceThroughputLimit?: ThroughputLimit;
  verificationMode: VerificationMode;
}

export const defaultCopyOptions: CopyOptions = {
  pageSize: 1000,
  workerCount: 1,
  verificationMode: "sampled",
};

/**
 * "Offline" copies what the source holds and completes on its own; the source must not be written to
 * meanwhile. "Online" copies it too, then keeps applying the source's changes (creates, replaces and
 * deletes, from its all-versions-and-deletes change feed) until `complete` is called: the application keeps
 * writing during the copy and only cuts over at the end.
 */
export const jobModes = ["Offline", "Online"] as const;
export type JobMode = (typeof jobModes)[number];

/** What the user asks for: copy every item of `source` into `destination`. */
export interface JobSpec {
  name: string;
  source: ContainerRef;
  destination: ContainerRef;
  /**
   * The account the source container is in, when it is not the one the job is created in (the destination
   * account, which also keeps the job's state). Its key is used and handed to the job's workers, never
   * stored: the job records the endpoint only (`JobRecord.sourceAccount`).
   */
  sourceAccount?: AccountConnection;
  /** Offline unless given. */
  mode?: JobMode;
  options?: Partial<CopyOptions>;
  /** A function each source item goes through before it is written (see `ItemTransform`). */
  transform?: TransformSpec;
}

/**
 * A Cassandra copy: every row of `source` into `destination`, a table of the same cluster with another
 * primary key (partition key or clustering order). Offline only: a Cassandra cluster has no change feed to
 * replay writes made during the copy. Its job and state live in the cluster (see cassandra/jobs.ts).
 */
export interface CassandraJobSpec {
  name: string;
  source: TableRef;
  destination: TableRef;
  options?: Partial<Pick<CopyOptions, "pageSize" | "workerCount">>;
}

export interface JobError {
  code: string;
  message: string;
}

/** An item named by its id and its partition key value (an array of values for a hierarchical key). */
export interface ItemKey {
  id: string;
  partitionKey: unknown;
}

/** How many items differ in one way, and a few of them. */
export interface DifferenceCount {
  count: number;
  /** At most `differenceSampleSize` of them. */
  sample: ItemKey[];
}

/**
 * What differs between the target and the source as the target should hold it, found by reading both whole
 * after a check that did not match. Items are keyed by the target's partition key and id.
 */
export interface Differences {
  /** Source items the target lacks. */
  missing: DifferenceCount;
  /** Target items no source item becomes. */
  extra: DifferenceCount;
  /** Items on both sides whose bodies differ. */
  changed: DifferenceCount;
  /** Target keys that several source items become (same id, same value of the target's partition key). */
  collisions: DifferenceCount;
  /** What reading both sides cost, in request units. */
  requestCharge: number;
}

/**
 * The end-of-copy check; what it proves depends on its mode (see `VerificationMode`). The check never reads
 * the source a second time in full: it is counted (an aggregate the endpoint answers from its index). Only a
 * check that did not match is followed by reading both sides whole, to find its `differences`.
 */
export interface Verification {
  mode: VerificationMode;
  /** The source's item count at the end of the copy. */
  sourceCount: number;
  /** Items the copy read from the source's change feed and wrote. */
  copiedCount: number;
  /**
   * Jobs with a transform: source items it skipped, which the target is not expected to hold (offline: those
   * the copy skipped; online: those of the source as it is at the end).
   */
  skippedCount?: number;
  targetCount: number;
  /** Full mode: the checksum of the bodies the copy read from the source, and of the target's. */
  sourceChecksum?: string;
  targetChecksum?: string;
  /** Sampled mode: source items compared with the target's item of the same id and partition key. */
  sampledItems?: number;
  /** Ids of the sampled items the target lacks or holds with another body (at most a few). */
  sampleMismatches?: string[];
  matched: boolean;
  /** When the check did not match: what differs, item by item (absent if finding it failed). */
  differences?: Differences;
  /** How long the check took. */
  durationMs: number;
  verifiedAt: string;
}

/**
 * What a job records of its source's account when it is another account: where it is, nothing that signs
 * in to it. TLS trust is the worker's machine's, given to it with the key.
 */
export interface SourceAccountRecord {
  /** The account endpoint as a URL (`accountEndpoint`), so that one account has one spelling. */
  endpoint: string;
}

/**
 * The API a job copies: absent for NoSQL containers (every record made before Cassandra jobs existed is
 * one), "Cassandra" for Cassandra tables, whose keyspace and table its `source` and `destination` keep as
 * `database` and `container`.
 */
export type JobApi = "Cassandra";

/** A job as stored in `__datatransferstate`; field names follow Azure's data transfer job properties. */
export interface JobRecord {
  id: string;
  name: string;
  api?: JobApi;
  source: ContainerRef;
  destination: ContainerRef;
  /** Set when the source is in another account than the job (same-account jobs have none). */
  sourceAccount?: SourceAccountRecord;
  mode: JobMode;
  status: JobStatus;
  options: CopyOptions;
  /** The job's transform, with the hash of its module file when the job was created. */
  transform?: TransformRecord;
  /** Items written to the target (a transform's skipped items are not among them). */
  processedCount: number;
  /** Items the first pass read that the job's transform skipped (not written). */
  skippedCount?: number;
  totalCount: number;
  workerCount: number;
  /** Items each worker copied (by worker id). */
  processedByWorker: Record<string, number>;
  error?: JobError;
  verification?: Verification;
  /** The worker running the closing verification: one does it, the others wait for the job to end. */
  verifyingWorker?: string;
  /**
   * Who manages the job, when something does: the URN of the Pulumi resource that created it. Its owner may
   * replace it under the same name (the old record is deleted first); anyone else gets the name refused.
   */
  owner?: string;
  /** What the analysis before the job was recorded found that did not stop it (see preflight-analysis.ts). */
  preflight?: PreflightSummary;
  /** Online jobs: where the copy stands beside its status (absent for offline ones). */
  online?: OnlineProgress;
  /** The account's write region when the job started running. */
  writeRegion?: string;
  createdAt: string;
  startedAt?: string;
  /**
   * When the job last went Running, moved back by the time it had run before, so that the time since is
   * its running time: a pause or a failure it was resumed from does not count.
   */
  runningSince?: string;
  completedAt?: string;
  lastUpdatedUtcTime: string;
  /** Milliseconds spent Running so far (Azure reports it as a duration); its clock stops when the job does. */
  durationMs: number;
  _etag?: string;
}

/** The part of a copy's preflight analysis a job keeps. */
export interface PreflightSummary {
  itemsRead: number;
  /** Items the job's transform skips. */
  itemsSkipped: number;
  /** Sentences naming what was found and what to do. */
  warnings: string[];
  requestCharge: number;
  analyzedAt: string;
}

/**
 * An online job's phases while it runs: the first pass over what the source holds; then tailing (every
 * range has read it all, and applies the source's changes as they come); then completing (`complete` was
 * called: each range applies what changed before that, then the job verifies and ends).
 */
export const onlinePhases = ["InitialCopy", "Tailing", "Completing"] as const;
export type OnlinePhase = (typeof onlinePhases)[number];

/**
 * An online job that has copied what the source held and applies its changes as they come, until
 * `complete`: the point where `create` and `up` stop waiting for it (it keeps running in its workers).
 */
export function isTailing(job: Pick<JobRecord, "status" | "online">): boolean {
  return job.status === "Running" && job.online?.phase === "Tailing";
}

/**
 * How far the target trails the source, as of a range's last read of its changes: the changes pending then
 * (an estimate from the partition's LSN), and the age in seconds of the oldest of them.
 */
export interface ReplicationLag {
  changes: number;
  seconds: number;
}

export interface OnlineProgress {
  phase: OnlinePhase;
  /** When `complete` was called: every change made before it reaches the target before the job verifies. */
  completeRequestedAt?: string;
  /** Changes (creates, replaces, deletes) applied from the source's all-versions feed, summed over ranges. */
  appliedChanges: number;
  /** Summed over ranges (seconds: the worst range); set once the job is tailing. */
  lag?: ReplicationLag;
}

/**
 * One feed range of a job's source, keyed by its effective-partition-key bounds: its checkpoint and who
 * holds its lease.
 */
export interface RangeRecord {
  id: string;
  jobName: string;
  minInclusive: string;
  maxExclusive: string;
  /** The change-feed continuation after the last written page; undefined until the first checkpoint. */
  continuation?: string;
  processedCount: number;
  /** Items the first pass read and the job's transform skipped (not written, not in `processedCount`). */
  skippedCount?: number;
  /** Checksum (as `BodyChecksum`) of the bodies of the items counted in `processedCount`. */
  checksum: string;
  processedByWorker: Record<string, number>;
  /** The first pass has read every item of the range (online jobs go on to apply its changes). */
  drained: boolean;
  /**
   * Online jobs: the range's all-versions-and-deletes continuation, taken before its first page was read and
   * advanced as its changes are applied, so nothing written during the first pass is missed.
   */
  changesContinuation?: string;
  /** Online jobs: changes applied from the range's all-versions feed. */
  appliedChanges?: number;
  /** Online jobs: when a read of the range's changes that found nothing newer was sent. */
  caughtUpAt?: string;
  /** Online jobs: how far behind the range was at its last read of changes. */
  lag?: ReplicationLag;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  _etag?: string;
}

/** The id of a job's range record: its bounds, so the same range always has the same record. */
export function rangeRecordId(jobName: string, minInclusive: string, maxExclusive: string): string {
  return `${jobName}:[${minInclusive},${maxExclusive})`;
}

/** The job's `durationMs` as of `now`: it grows while the job is Running and stands still otherwise. */
export function runningTime(
  job: Pick<JobRecord, "status" | "runningSince" | "durationMs">,
  now = Date.now(),
): number {
  return job.status === "Running" && job.runningSince ? now - Date.parse(job.runningSince) : job.durationMs;
}
