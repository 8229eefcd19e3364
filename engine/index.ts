export { CopyJobs, type CreateOptions, type PreflightOptions } from "./jobs";
export { CassandraCopyJobs, type CassandraCreateOptions } from "./cassandra/jobs";
export { type CassandraConnection } from "./cassandra/connection";
export { JobControl, type SourceAccess, type StartOptions, type WaitOptions } from "./job-control";
export { describePlan, type CopyPlan } from "./copy-plan";
export { CopyWorker, maxRecopiedItems, type WorkerOptions, type WorkerExit } from "./worker";
export { CopyJobError, classifyConnectionFailure, type ConnectionFailure } from "./errors";
export { resumeRefusal } from "./job-lifecycle";
export {
  validateJobSpec,
  jobSpecProblems,
  optionLimits,
  parseThroughputLimit,
  throughputLimitBounds,
  type SpecShape,
  type ValidationProblem,
} from "./validation";
export { describeLimit } from "./throughput-budget";
export { describeOnline, describeProgress, formatDuration, jobProgress, type JobProgress } from "./progress";
export { stateDatabaseId } from "./state-store";
export {
  defaultTransformExport,
  type ItemTransform,
  type TransformRecord,
  type TransformSpec,
} from "./item-transform";
export * from "./types";
