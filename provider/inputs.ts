import type { AccountConnection, JobRecord, JobSpec, ThroughputLimit, VerificationMode } from "../engine";

/**
 * The flat property bag the dynamic resource stores: inputs as the SDK passes them, plus the job's
 * reported state as outputs. The key travels as `accountKey`, which the SDK marks secret.
 */
export interface JobInputs {
  accountEndpoint: string;
  accountKey?: string;
  /** "key" (default) or "azure-credential" (DefaultAzureCredential). */
  authentication?: "key" | "azure-credential";
  caCertificate?: string;
  insecureTls?: boolean;
  sourceDatabase: string;
  sourceContainer: string;
  destinationDatabase: string;
  destinationContainer: string;
  jobName: string;
  waitForCompletion?: boolean;
  timeoutMinutes?: number;
  workerCount?: number;
  pageSize?: number;
  targetThroughputLimit?: ThroughputLimit;
  sourceThroughputLimit?: ThroughputLimit;
  verificationMode?: VerificationMode;
  paused?: boolean;
}

export interface JobOutputs extends JobInputs {
  status: string;
  processedCount: number;
  totalCount: number;
  error?: { code: string; message: string };
  verification?: JobRecord["verification"];
  createdAt?: string;
  completedAt?: string;
  /** Items in the target when last read; differs from processedCount if the target changed since. */
  targetItemCount?: number;
}

export function specOf(inputs: JobInputs): JobSpec {
  return {
    name: inputs.jobName,
    source: { database: inputs.sourceDatabase, container: inputs.sourceContainer },
    destination: { database: inputs.destinationDatabase, container: inputs.destinationContainer },
    options: {
      pageSize: inputs.pageSize,
      workerCount: inputs.workerCount,
      targetThroughputLimit: inputs.targetThroughputLimit,
      sourceThroughputLimit: inputs.sourceThroughputLimit,
      verificationMode: inputs.verificationMode,
    },
  };
}

export async function connectionOf(inputs: JobInputs): Promise<AccountConnection> {
  const tls = { caCertificate: inputs.caCertificate || undefined, insecureTls: inputs.insecureTls };
  if (inputs.authentication === "azure-credential") {
    const { DefaultAzureCredential } = await import("@azure/identity");
    return { endpoint: inputs.accountEndpoint, credential: new DefaultAzureCredential(), ...tls };
  }
  return { endpoint: inputs.accountEndpoint, key: inputs.accountKey ?? "", ...tls };
}

/** Inputs that, when changed, mean another job: the provider replaces the resource. */
export const replaceOnChange: (keyof JobInputs)[] = [
  "accountEndpoint",
  "sourceDatabase",
  "sourceContainer",
  "destinationDatabase",
  "destinationContainer",
  "jobName",
];
