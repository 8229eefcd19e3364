import { CopyJobs } from "../engine";
import { connectionOf, type JobInputs } from "./inputs";

/** A `CopyJobs` client for the account the inputs name, disposed when `work` is done. */
export async function withJobs<T>(inputs: JobInputs, work: (jobs: CopyJobs) => Promise<T>): Promise<T> {
  const jobs = CopyJobs.connect(await connectionOf(inputs));
  try {
    return await work(jobs);
  } finally {
    jobs.dispose();
  }
}
