export { CopyJobs, type CreateOptions, type WaitOptions } from "./jobs";
export { CopyWorker, defaultPagesInFlight, type WorkerOptions, type WorkerExit } from "./worker";
export { CopyJobError } from "./errors";
export { validateJobSpec, jobSpecProblems, optionLimits, type ValidationProblem } from "./validation";
export { stateDatabaseId } from "./state-store";
export * from "./types";
