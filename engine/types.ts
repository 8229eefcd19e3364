import type { TokenCredential } from "@azure/identity";

/** Where a container lives. */
export interface ContainerRef {
  database: string;
  container: string;
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

/** Tuning a job carries; the defaults suit a worker on a small machine. */
export interface CopyOptions {
  /** Items read per change-feed page and checkpointed together (also the most re-copied after a crash). */
  pageSize: number;
  /** Workers the job wants; creating a job starts one when none is alive. */
  workerCount: number;
}

export const defaultCopyOptions: CopyOptions = { pageSize: 1000, workerCount: 1 };

/** What the user asks for: copy every item of `source` into `destination`, offline. */
export interface JobSpec {
  name: string;
  source: ContainerRef;
  destination: ContainerRef;
  options?: Partial<CopyOptions>;
}

export interface JobError {
  code: string;
  message: string;
}

/** The end-of-copy check: counts and an order-independent checksum of item bodies on both sides. */
export interface Verification {
  sourceCount: number;
  targetCount: number;
  sourceChecksum: string;
  targetChecksum: string;
  matched: boolean;
  verifiedAt: string;
}

/** A job as stored in `__datatransferstate`; field names follow Azure's data transfer job properties. */
export interface JobRecord {
  id: string;
  name: string;
  source: ContainerRef;
  destination: ContainerRef;
  mode: "Offline";
  status: JobStatus;
  options: CopyOptions;
  processedCount: number;
  totalCount: number;
  workerCount: number;
  /** Items each worker copied (by worker id). */
  processedByWorker: Record<string, number>;
  error?: JobError;
  verification?: Verification;
  /** The account's write region when the job started running. */
  writeRegion?: string;
  createdAt: string;
  startedAt?: string;
  completedAt?: string;
  lastUpdatedUtcTime: string;
  /** Milliseconds spent running so far (Azure reports it as a duration). */
  durationMs: number;
  _etag?: string;
}

/** One feed range of a job's source: its checkpoint and who holds its lease. */
export interface RangeRecord {
  id: string;
  jobName: string;
  minInclusive: string;
  maxExclusive: string;
  /** The change-feed continuation after the last written page; undefined until the first checkpoint. */
  continuation?: string;
  processedCount: number;
  processedByWorker: Record<string, number>;
  drained: boolean;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  _etag?: string;
}

/** Milliseconds since a job started running (0 if it has not), the job's `durationMs` as of `now`. */
export function elapsedSince(startedAt: string | undefined, now = Date.now()): number {
  return startedAt ? now - Date.parse(startedAt) : 0;
}
