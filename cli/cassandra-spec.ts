import type { CassandraJobSpec } from "../engine";
import { cassandraSpecProblems } from "../engine/cassandra/validation";
import { specProblemsError, tableRef } from "./arguments";
import type { CreateOptions } from "./commands/create";
import { UsageError } from "./usage-error";

/**
 * `create --src-cassandra … --dest-cassandra …` as the engine's spec. Options of `create` that a Cassandra
 * copy has no use for are refused by name, with the reason, before anything is contacted: the engine would
 * refuse most of them too, but in its own field names and only once connected.
 */
const notPacedInRequestUnits =
  "a Cassandra copy is not paced in request units: it waits out the cluster's overloaded answers; lower --worker-count or --page-size to go gentler";

const notForCassandra: [flag: string, given: (options: CreateOptions) => boolean, why: string][] = [
  [
    "--mode Online",
    (o) => o.mode === "Online",
    "a Cassandra table has no change feed to replay the writes made during a copy, so Cassandra copies are Offline: stop writing to the source table while the job runs",
  ],
  [
    "--transform",
    (o) => o.transform !== undefined,
    "a Cassandra copy writes every row as it is; transforms apply to NoSQL items",
  ],
  ["--target-throughput-limit", (o) => o.targetThroughputLimit !== undefined, notPacedInRequestUnits],
  ["--source-throughput-limit", (o) => o.sourceThroughputLimit !== undefined, notPacedInRequestUnits],
  [
    "--verification-mode sampled",
    (o) => o.verificationMode === "sampled",
    "a Cassandra copy always verifies in full: both tables are read whole and their row counts and checksums compared",
  ],
];

export function cassandraSpecFrom(options: CreateOptions): CassandraJobSpec {
  const refused = notForCassandra.filter(([, given]) => given(options));
  if (refused.length > 0) {
    throw new UsageError(
      refused
        .map(([flag, , why]) => `${flag} does not apply to a Cassandra table copy: ${why}. Leave it out.`)
        .join("\n"),
    );
  }
  const spec: CassandraJobSpec = {
    name: options.jobName,
    source: tableRef.require("--src-cassandra", options.srcCassandra),
    destination: tableRef.require("--dest-cassandra", options.destCassandra),
    options: {
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(options.workerCount !== undefined ? { workerCount: options.workerCount } : {}),
    },
  };
  const problems = cassandraSpecProblems(spec);
  if (problems.length > 0) throw specProblemsError(problems, "Cassandra");
  return spec;
}
