import * as pulumi from "@pulumi/pulumi";
import type {
  AccountConnection,
  ContainerRef,
  CopyOptions,
  JobMode,
  JobSpec,
  OnlinePhase,
  SpecShape,
  ThroughputLimit,
  VerificationMode,
} from "../engine";
import type { JobStateOutputs } from "./job-outputs";

/**
 * The property bag the dynamic resource stores: the SDK's arguments in the SDK's shape (so `pulumi preview
 * --diff` and check failures name what the user wrote), plus the job's reported state as outputs. The key
 * travels apart from `account` as `accountKey`, which the SDK marks secret; a cross-account job's source
 * account likewise as `sourceAccount` and `sourceAccountKey`.
 */
export interface AccountInputs {
  endpoint: string;
  /** "key" (default) or "azure-credential" (DefaultAzureCredential). */
  authentication?: "key" | "azure-credential";
  caCertificate?: string;
  insecureTls?: boolean;
}

/**
 * The job's transform as the SDK passes it: the module's absolute path (resolved against the program's
 * directory), the export, and the file's hash when the program ran, so that editing the module is a change
 * that replaces the job.
 */
export interface TransformInputs {
  module: string;
  exportName?: string;
  sha256?: string;
}

export interface JobInputs {
  account: AccountInputs;
  accountKey?: string;
  /** The account the source is in, when it is not `account` (which keeps the job and the destination). */
  sourceAccount?: AccountInputs;
  sourceAccountKey?: string;
  source: ContainerRef;
  destination: ContainerRef;
  jobName: string;
  /** "Offline" unless given. */
  mode?: JobMode;
  /** Online jobs: the cutover. Turning it true completes the job (see `ContainerCopyJobArgs.completed`). */
  completed?: boolean;
  waitForCompletion?: boolean;
  timeoutMinutes?: number;
  workerCount?: number;
  pageSize?: number;
  targetThroughputLimit?: ThroughputLimit;
  sourceThroughputLimit?: ThroughputLimit;
  verificationMode?: VerificationMode;
  transform?: TransformInputs;
  paused?: boolean;
  /** The resource's own URN, computed by the SDK: where the provider attaches its plan and progress messages. */
  resourceUrn?: string;
}

export interface JobOutputs extends JobInputs, JobStateOutputs {
  /** Items the job's transform skipped (not written, not in processedCount). */
  skippedCount?: number;
  /** Items in the target when last read; differs from processedCount if the target changed since. */
  targetItemCount?: number;
  /** Online jobs: the job's phase, the changes it applied, and its lag when last read. */
  phase?: OnlinePhase;
  appliedChanges?: number;
  lagChanges?: number;
  lagSeconds?: number;
  /** What the preflight analysis warned about when the job was created (settings not carried over, etc.). */
  preflightWarnings?: string[];
}

/**
 * What changing an input does to a deployed job. `replace`: it names another copy, so the job is deleted
 * and created again. `update`: the running job takes the new value in place. `store`: nothing to do to the
 * job; the new value is kept for the provider's next calls (refresh and destroy use the TLS settings and key
 * stored here).
 */
export type InputChange = "replace" | "update" | "store";

/** Every input, as a path into `JobInputs`; the accounts' fields one by one, since they differ. */
export type InputPath =
  | Exclude<keyof JobInputs, "account" | "sourceAccount">
  | `${"account" | "sourceAccount"}.${keyof AccountInputs}`;

/**
 * ContainerCopyJob's table, which `diff` and `update` read. Typed over every path, so a new input cannot be
 * left out.
 */
export const inputChanges: Readonly<Record<InputPath, InputChange>> = {
  "account.endpoint": "replace",
  "account.authentication": "store",
  "account.caCertificate": "store",
  "account.insecureTls": "store",
  accountKey: "store",
  // Another source account is another copy, even of containers with the same names.
  "sourceAccount.endpoint": "replace",
  "sourceAccount.authentication": "store",
  "sourceAccount.caCertificate": "store",
  "sourceAccount.insecureTls": "store",
  sourceAccountKey: "store",
  source: "replace",
  destination: "replace",
  jobName: "replace",
  mode: "replace",
  completed: "update",
  waitForCompletion: "store",
  timeoutMinutes: "store",
  workerCount: "update",
  pageSize: "update",
  targetThroughputLimit: "update",
  sourceThroughputLimit: "update",
  verificationMode: "update",
  transform: "replace",
  paused: "update",
  resourceUrn: "store",
};

export const inputPaths = Object.keys(inputChanges) as InputPath[];

/**
 * Inputs whose default is the job's own: left out or given as that value, they are the same job, so writing
 * the default out (or the outputs holding the job's value) is no change, let alone a replacement.
 */
export const inputDefaults: Partial<Record<InputPath, unknown>> = { mode: "Offline" };

/** The options `update` hands to the engine; the rest of the `update` inputs (`paused`) it acts on itself. */
export const jobOptionNames = [
  "workerCount",
  "pageSize",
  "targetThroughputLimit",
  "sourceThroughputLimit",
  "verificationMode",
] as const satisfies readonly (InputPath & keyof CopyOptions)[];

/** Pulumi's marker for a value not known until the resources it depends on exist (during preview). */
export function isUnknown(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(pulumi.runtime.unknownValue);
}

/** The value at a path of a change table (`jobName`, `account.endpoint`), in any kind's inputs. */
export function valueAt(inputs: object, path: string): unknown {
  const [head, field] = path.split(".");
  const value = (inputs as Record<string, unknown>)[head];
  return field === undefined ? value : (value as Record<string, unknown> | undefined)?.[field];
}

/** The resource property a path belongs to: check failures and replacements are reported by property. */
export function propertyOf(path: string): string {
  return path.split(".")[0];
}

/** The flat bag versions before 0.2 stored (type `pulumi-nodejs:dynamic:Resource`). */
interface LegacyInputs {
  accountEndpoint: string;
  authentication?: AccountInputs["authentication"];
  caCertificate?: string;
  insecureTls?: boolean;
  sourceDatabase: string;
  sourceContainer: string;
  destinationDatabase: string;
  destinationContainer: string;
}

export function isLegacyShape(stored: object): boolean {
  return !("account" in stored) && "accountEndpoint" in stored;
}

/**
 * A stored state in today's shape, whichever version wrote it: stacks deployed with the flat bag update in
 * place (the SDK aliases the old type), so their state reaches every hook once before it is rewritten.
 */
export function currentShape<T extends object>(stored: T): T {
  if (!isLegacyShape(stored)) return stored;
  const {
    accountEndpoint,
    authentication,
    caCertificate,
    insecureTls,
    sourceDatabase,
    sourceContainer,
    destinationDatabase,
    destinationContainer,
    ...rest
  } = stored as unknown as LegacyInputs & Omit<T, keyof JobInputs | keyof LegacyInputs>;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      account: { endpoint: accountEndpoint, authentication, caCertificate, insecureTls },
      source: { database: sourceDatabase, container: sourceContainer },
      destination: { database: destinationDatabase, container: destinationContainer },
    }),
  ) as T;
}

export function optionsOf(inputs: JobInputs): Partial<CopyOptions> {
  return Object.fromEntries(jobOptionNames.map((name) => [name, inputs[name]]));
}

/** The spec as validation sees it: of the source account, its endpoint (see `SpecShape`). */
export function specShapeOf(inputs: JobInputs): SpecShape {
  return {
    name: inputs.jobName,
    source: inputs.source,
    destination: inputs.destination,
    ...(inputs.sourceAccount ? { sourceAccount: { endpoint: inputs.sourceAccount.endpoint } } : {}),
    mode: inputs.mode,
    options: optionsOf(inputs),
    ...(inputs.transform
      ? { transform: { module: inputs.transform.module, exportName: inputs.transform.exportName } }
      : {}),
  };
}

async function accountConnection(
  account: AccountInputs,
  key: string | undefined,
): Promise<AccountConnection> {
  const { endpoint, authentication, caCertificate, insecureTls } = account;
  const tls = { caCertificate: caCertificate || undefined, insecureTls };
  if (authentication === "azure-credential") {
    const { DefaultAzureCredential } = await import("@azure/identity");
    return { endpoint, credential: new DefaultAzureCredential(), ...tls };
  }
  return { endpoint, key: key ?? "", ...tls };
}

export function connectionOf(inputs: JobInputs): Promise<AccountConnection> {
  return accountConnection(inputs.account, inputs.accountKey);
}

/** A cross-account job's source account connection; undefined for a source in `account`. */
export async function sourceConnectionOf(inputs: JobInputs): Promise<AccountConnection | undefined> {
  return inputs.sourceAccount && accountConnection(inputs.sourceAccount, inputs.sourceAccountKey);
}

/** The spec the engine creates and checks, with the source account's connection when there is one. */
export async function specOf(inputs: JobInputs): Promise<JobSpec> {
  const sourceAccount = await sourceConnectionOf(inputs);
  return { ...specShapeOf(inputs), sourceAccount };
}
