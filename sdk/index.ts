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
  JobSpec,
  JobStatus,
  ThroughputLimit,
} from "../engine";
