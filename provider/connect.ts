import { CopyJobs, type SourceAccess } from "../engine";
import { CassandraCopyJobs } from "../engine/cassandra/jobs";
import { clusterConnectionOf, type CassandraJobInputs } from "./cassandra-inputs";
import { connectionOf, sourceConnectionOf, type JobInputs } from "./inputs";

/**
 * A `CopyJobs` client for the account the inputs name, disposed when `work` is done; `access` carries the
 * source account's connection of a cross-account job, for the calls that read it or start its workers.
 */
export async function withJobs<T>(
  inputs: JobInputs,
  work: (jobs: CopyJobs, access: SourceAccess) => Promise<T>,
): Promise<T> {
  const jobs = CopyJobs.connect(await connectionOf(inputs));
  try {
    return await work(jobs, { sourceAccount: await sourceConnectionOf(inputs) });
  } finally {
    jobs.dispose();
  }
}

/** A `CassandraCopyJobs` client for the cluster the inputs name, disposed when `work` is done. */
export async function withCassandraJobs<T>(
  inputs: CassandraJobInputs,
  work: (jobs: CassandraCopyJobs) => Promise<T>,
): Promise<T> {
  const jobs = CassandraCopyJobs.connect(clusterConnectionOf(inputs));
  try {
    return await work(jobs);
  } finally {
    jobs.dispose();
  }
}
