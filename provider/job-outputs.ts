import type { JobRecord } from "../engine";

/** The state of a job every kind reports, whatever it copies. */
export interface JobStateOutputs {
  status: string;
  processedCount: number;
  totalCount: number;
  error?: { code: string; message: string };
  verification?: JobRecord["verification"];
  createdAt?: string;
  completedAt?: string;
}

export function jobStateOutputs(job: JobRecord): JobStateOutputs {
  return {
    status: job.status,
    processedCount: job.processedCount,
    totalCount: job.totalCount,
    error: job.error,
    verification: job.verification,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
  };
}

/** Pulumi's property structs cannot hold `undefined`; a JSON round trip drops absent fields. */
export function storable<T>(outputs: T): T {
  return JSON.parse(JSON.stringify(outputs)) as T;
}
