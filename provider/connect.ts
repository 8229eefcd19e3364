import { CopyJobs, type SourceAccess } from "../engine";
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
