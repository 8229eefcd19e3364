import type * as pulumi from "@pulumi/pulumi";
import type { CopyOptions, JobControl, JobRecord, SourceAccess } from "../engine";
import type { InputTable } from "./input-diff";

/** The inputs the shared lifecycle (lifecycle.ts) reads, whatever the kind of job. */
export interface LifecycleInputs {
  jobName: string;
  waitForCompletion?: boolean;
  timeoutMinutes?: number;
  paused?: boolean;
  /** ContainerCopyJob's online jobs only: the cutover. */
  completed?: boolean;
  /** The resource's own URN: the job's owner, and where the provider attaches its progress messages. */
  resourceUrn?: string;
}

/** One hook's connection to where a kind's jobs live, closed when the hook's work is done. */
export interface JobSession {
  readonly jobs: JobControl;
  /** A cross-account ContainerCopyJob's source account, for the calls that read it or start its workers. */
  readonly access: SourceAccess;
  /** Creates the job the inputs describe; a job of that name copying the same is adopted (idempotent). */
  create(): Promise<JobRecord>;
  /** What the destination holds now, shown by `refresh`; undefined when it is not counted. */
  targetCount(job: JobRecord): Promise<number | undefined>;
}

/**
 * A kind of copy job the one dynamic provider serves: ContainerCopyJob (container-kind.ts) or
 * CassandraTableCopyJob (cassandra-kind.ts), told apart by their inputs (kinds.ts). A kind says how its
 * inputs are checked, what a change of each does, where its jobs live and how a job record reads back; the
 * hooks (lifecycle.ts, diff.ts) do everything else alike, through the engine's `JobControl`.
 */
export interface CopyKind<Inputs extends LifecycleInputs, Outputs extends Inputs> extends InputTable {
  /** `pulumi preview`'s checks, each failure on the property to change. */
  check(olds: Inputs | Record<string, never>, news: Inputs): Promise<pulumi.dynamic.CheckResult<Inputs>>;
  /** The `inputChanges` paths that are the job's options, which `update` hands to the engine. */
  optionPaths: readonly string[];
  /** The options as `update` hands them to the engine; one left out is undefined, the job's default. */
  optionsOf(inputs: Inputs): Partial<CopyOptions>;
  withSession<T>(inputs: Inputs, work: (session: JobSession) => Promise<T>): Promise<T>;
  /** The inputs with the job's own name, source and destination, as `refresh` reports them. */
  recordedInputs(inputs: Inputs, job: JobRecord): Inputs;
  /** The inputs and the job's state, as the stack keeps them. */
  outputsOf(inputs: Inputs, job: JobRecord, targetCount?: number): Outputs;
}
