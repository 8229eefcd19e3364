export {
  ContainerCopyJob,
  containerCopyJobType,
  type ContainerCopyJobArgs,
  type AccountArgs,
  type ContainerArgs,
} from "./container-copy-job";
export {
  CassandraTableCopyJob,
  cassandraTableCopyJobType,
  type CassandraTableCopyJobArgs,
  type CassandraCopyOptionsArgs,
  type ClusterArgs,
  type ClusterTlsArgs,
  type TableArgs,
} from "./cassandra-table-copy-job";
export {
  CopyJobs,
  CassandraCopyJobs,
  CopyWorker,
  CopyJobError,
  validateJobSpec,
  stateDatabaseId,
} from "../engine";
export type {
  AccountConnection,
  CassandraConnection,
  CassandraJobSpec,
  ContainerRef,
  JobRecord,
  JobMode,
  JobSpec,
  JobStatus,
  OnlinePhase,
  TableRef,
  ThroughputLimit,
} from "../engine";
