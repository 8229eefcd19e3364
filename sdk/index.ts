export {
  ContainerCopyJob,
  containerCopyJobType,
  type ContainerCopyJobArgs,
  type AccountArgs,
  type ContainerArgs,
} from "./container-copy-job";
export { CopyJobs, CopyWorker, CopyJobError, validateJobSpec, stateDatabaseId } from "../engine";
export type {
  AccountConnection,
  ContainerRef,
  JobRecord,
  JobMode,
  JobSpec,
  JobStatus,
  OnlinePhase,
  ThroughputLimit,
} from "../engine";
