import { checkCassandraJob } from "./cassandra-check";
import {
  cassandraInputChanges,
  cassandraOptionPaths,
  cassandraOptionsOf,
  cassandraSpecOf,
  tableOf,
  type CassandraJobInputs,
  type CassandraJobOutputs,
} from "./cassandra-inputs";
import { withCassandraJobs } from "./connect";
import { jobStateOutputs, storable } from "./job-outputs";
import type { CopyKind } from "./kind";

/**
 * CassandraTableCopyJob: a table copied into another table of the same Cassandra cluster, its jobs in the
 * cluster's `__datatransferstate` keyspace. Offline only, and always verified in full.
 */
export const cassandraKind: CopyKind<CassandraJobInputs, CassandraJobOutputs> = {
  check: checkCassandraJob,
  inputChanges: cassandraInputChanges,
  inputDefaults: {},
  optionPaths: cassandraOptionPaths,
  optionsOf: cassandraOptionsOf,
  withSession: (inputs, work) =>
    withCassandraJobs(inputs, (jobs) =>
      work({
        jobs,
        access: {},
        create: () => jobs.create(cassandraSpecOf(inputs), { owner: inputs.resourceUrn }),
        // Counting a table reads all of it; the job's closing check already counted both tables whole.
        targetCount: async () => undefined,
      }),
    ),
  recordedInputs: (inputs, job) => ({
    ...inputs,
    jobName: job.name,
    source: tableOf(job.source),
    destination: tableOf(job.destination),
  }),
  outputsOf: (inputs, job) => storable({ ...inputs, ...jobStateOutputs(job) }),
};
