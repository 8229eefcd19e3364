import {
  formatDuration,
  type ContainerRef,
  type JobRecord,
  type OnlineProgress,
  type PreflightSummary,
  type SourceAccountRecord,
  type ThroughputLimit,
  type TransformRecord,
  type Verification,
  type VerificationMode,
} from "../engine";

/**
 * A job as Azure's `dataTransferJobs` resource (what `az cosmosdb copy show` prints), so scripts written
 * against the service read `.properties.status`, `.properties.processedCount` etc. unchanged. There is no
 * ARM `id`: a local account has no subscription or resource group to put in one.
 */
export const dataTransferJobType = "Microsoft.DocumentDB/databaseAccounts/dataTransferJobs";

export interface CosmosSqlDataStore {
  component: "CosmosDBSql";
  databaseName: string;
  containerName: string;
  /**
   * A cross-account job's source: the account it is in, as Azure names it (the first label of an Azure
   * endpoint's host; another endpoint's host and port). Absent: the job's own account.
   */
  remoteAccountName?: string;
  /** This project's addition: that account's endpoint, which is what reaches it. */
  remoteAccountEndpoint?: string;
}

/** A Cassandra table, as Azure's `CassandraTable` data transfer data source names it. */
export interface CosmosCassandraDataStore {
  component: "CosmosDBCassandra";
  keyspaceName: string;
  tableName: string;
}

export type DataStore = CosmosSqlDataStore | CosmosCassandraDataStore;

export interface DataTransferJobResource {
  name: string;
  type: typeof dataTransferJobType;
  properties: {
    jobName: string;
    status: JobRecord["status"];
    processedCount: number;
    totalCount: number;
    lastUpdatedUtcTime: string;
    duration: string;
    mode: JobRecord["mode"];
    workerCount: number;
    source: DataStore;
    destination: DataStore;
    error?: { code: string; message: string };
    /** This project's addition: the RU/s caps the job keeps under. */
    targetThroughputLimit?: ThroughputLimit;
    sourceThroughputLimit?: ThroughputLimit;
    /**
     * This project's addition, for jobs with a transform: the module each item goes through, as recorded
     * when the job was created, and the items it skipped (not in processedCount).
     */
    transform?: TransformRecord;
    skippedCount?: number;
    /**
     * This project's addition: what the analysis before the copy read, cost, and warned about (settings not
     * carried over, a target that held items, items without the new key's value).
     */
    preflight?: PreflightSummary;
    /** This project's addition: how the copy is checked at the end, and what the check found. */
    verificationMode: VerificationMode;
    verification?: Verification;
    /**
     * This project's addition, for online jobs: their phase, the changes applied from the source's
     * all-versions feed, and how far the destination trails the source (`lag`, once tailing).
     */
    online?: OnlineProgress;
  };
}

const azureAccountHost = /^([^.]+)\.documents\.azure\.com$/;

/** A job's container, or its table: a Cassandra job's record keeps the keyspace and table as database and container. */
function dataStore(job: JobRecord, ref: ContainerRef, account?: SourceAccountRecord): DataStore {
  if (job.api === "Cassandra") {
    return { component: "CosmosDBCassandra", keyspaceName: ref.database, tableName: ref.container };
  }
  const store: CosmosSqlDataStore = {
    component: "CosmosDBSql",
    databaseName: ref.database,
    containerName: ref.container,
  };
  if (!account) return store;
  const url = new URL(account.endpoint);
  const remoteAccountName = azureAccountHost.exec(url.hostname)?.[1] ?? url.host;
  return { ...store, remoteAccountName, remoteAccountEndpoint: account.endpoint };
}

export function toDataTransferJob(job: JobRecord): DataTransferJobResource {
  return {
    name: job.name,
    type: dataTransferJobType,
    properties: {
      jobName: job.name,
      status: job.status,
      processedCount: job.processedCount,
      totalCount: job.totalCount,
      lastUpdatedUtcTime: job.lastUpdatedUtcTime,
      duration: formatDuration(job.durationMs),
      mode: job.mode,
      workerCount: job.workerCount,
      source: dataStore(job, job.source, job.sourceAccount),
      destination: dataStore(job, job.destination),
      ...(job.error ? { error: { code: job.error.code, message: job.error.message } } : {}),
      ...(job.options.targetThroughputLimit
        ? { targetThroughputLimit: job.options.targetThroughputLimit }
        : {}),
      ...(job.options.sourceThroughputLimit
        ? { sourceThroughputLimit: job.options.sourceThroughputLimit }
        : {}),
      ...(job.transform ? { transform: job.transform, skippedCount: job.skippedCount ?? 0 } : {}),
      ...(job.preflight ? { preflight: job.preflight } : {}),
      verificationMode: job.options.verificationMode,
      ...(job.verification ? { verification: job.verification } : {}),
      ...(job.online ? { online: job.online } : {}),
    },
  };
}
