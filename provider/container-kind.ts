import { countItems } from "../engine/verification";
import { check, plannedAnalysis } from "./check";
import { withJobs } from "./connect";
import {
  inputChanges,
  inputDefaults,
  jobOptionNames,
  optionsOf,
  specOf,
  type JobInputs,
  type JobOutputs,
} from "./inputs";
import type { CopyKind } from "./kind";
import { jobStateOutputs, storable } from "./job-outputs";

/** ContainerCopyJob: Cosmos DB NoSQL containers, its jobs in the account's `__datatransferstate` database. */
export const containerKind: CopyKind<JobInputs, JobOutputs> = {
  check,
  inputChanges,
  inputDefaults,
  optionPaths: jobOptionNames,
  optionsOf,
  withSession: (inputs, work) =>
    withJobs(inputs, (jobs, access) =>
      work({
        jobs,
        access,
        create: async () => {
          const spec = await specOf(inputs);
          const { resourceUrn: owner } = inputs;
          return jobs.create(spec, { owner, analysis: plannedAnalysis(owner, spec) });
        },
        targetCount: (job) =>
          countItems(jobs.client.database(job.destination.database).container(job.destination.container)),
      }),
    ),
  recordedInputs: (inputs, job) => ({
    ...inputs,
    jobName: job.name,
    source: job.source,
    destination: job.destination,
  }),
  outputsOf: (inputs, job, targetItemCount) =>
    storable({
      ...inputs,
      ...jobStateOutputs(job),
      skippedCount: job.skippedCount,
      ...(targetItemCount === undefined ? {} : { targetItemCount }),
      mode: job.mode,
      phase: job.online?.phase,
      appliedChanges: job.online?.appliedChanges,
      lagChanges: job.online?.lag?.changes,
      lagSeconds: job.online?.lag?.seconds,
      preflightWarnings: job.preflight?.warnings,
    }),
};
