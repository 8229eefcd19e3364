import type * as pulumi from "@pulumi/pulumi";
import { refuseOtherCopy } from "../engine/job-identity";
import { cassandraVariables, openCassandraClient, parseContactPoints } from "../engine/cassandra/connection";
import type { CassandraCopyJobs } from "../engine/cassandra/jobs";
import { readTableSchema } from "../engine/cassandra/table-schema";
import { cassandraSpecProblems } from "../engine/cassandra/validation";
import type { CassandraJobSpec } from "../engine";
import {
  cassandraSpecOf,
  clusterConnectionOf,
  type CassandraJobInputs,
  type ClusterInputs,
} from "./cassandra-inputs";
import {
  certificateProblem,
  failureOf,
  knownFailures,
  lifecycleProblems,
  type Failure,
} from "./check-failures";
import { withCassandraJobs } from "./connect";
import { isUnknown } from "./inputs";

/**
 * A CassandraTableCopyJob's `check`: what `pulumi preview` catches before a row is read, each failure on the
 * property to change (`cluster`, `source`, `destination`, `jobName`, `options`): what the engine's
 * `preflight` refuses (a missing keyspace or table: "Owner resource does not exist"; a destination that
 * cannot take the source's columns; bad names; options that do not apply), and the cluster's settings.
 */

/** The resource property an engine error about a Cassandra job is about; "" when it names none. */
export function cassandraPropertyOfField(field: string | undefined): string {
  const head = field?.split(".")[0] ?? "";
  if (head === "name") return "jobName";
  // The engine files what reaching the cluster fails on under "account", as for a NoSQL job's account.
  if (head === "account") return "cluster";
  if (head === "" || head === "source" || head === "destination") return head;
  // Every other field the engine names is an option: pageSize, workerCount, or one that does not apply.
  return "options";
}

/**
 * The engine words a connection problem for the CLI, which reads the cluster's settings from CASSANDRA_*
 * variables; here they are the resource's `cluster` fields (`…=1` is replaced before the bare name).
 */
const settingOfVariable: [string, string][] = [
  [`${cassandraVariables.insecureTls}=1`, "cluster.tls.insecure: true"],
  [cassandraVariables.insecureTls, "cluster.tls.insecure"],
  [cassandraVariables.contactPoints, "cluster.contactPoints"],
  [cassandraVariables.localDataCenter, "cluster.localDataCenter"],
  [cassandraVariables.username, "cluster.username"],
  [cassandraVariables.password, "cluster.password"],
  [cassandraVariables.caFile, "cluster.tls.caCertificate"],
];

function inResourceTerms(failure: Failure): Failure {
  const reason = settingOfVariable.reduce(
    (text, [variable, setting]) => text.split(variable).join(setting),
    failure.reason,
  );
  return { ...failure, reason };
}

const contactPointsExample = `e.g. ["127.0.0.1:9042"], or ["myaccount.cassandra.cosmos.azure.com:10350"] on Azure`;

/** The cluster's own fields, judged without reaching it (a host that does not answer is found by connecting). */
function clusterProblems(cluster: ClusterInputs | undefined, password: string | undefined): string[] {
  const points: unknown = cluster?.contactPoints;
  if (!Array.isArray(points) || points.length === 0) {
    return [
      `cluster.contactPoints is required: list the cluster's hosts as host[:port], ${contactPointsExample}.`,
    ];
  }
  const problems = points.flatMap((point: unknown) => {
    if (typeof point !== "string") {
      return [
        `cluster.contactPoints has ${JSON.stringify(point)}, which is not a host[:port]: give each host as a string, ${contactPointsExample}.`,
      ];
    }
    try {
      // The engine's own rule for a contact point, as the CLI and a worker's settings apply it.
      parseContactPoints(point, "cluster.contactPoints");
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  });
  const { localDataCenter, username, tls } = cluster as ClusterInputs;
  if (
    localDataCenter !== undefined &&
    (typeof localDataCenter !== "string" || localDataCenter.trim() === "")
  ) {
    problems.push(
      `cluster.localDataCenter ${JSON.stringify(localDataCenter)} is not valid: give the name of the cluster's data center (for Azure: the account's region, e.g. "West Europe"), or leave it out for "datacenter1".`,
    );
  }
  if (username !== undefined && typeof username !== "string") {
    problems.push(
      `cluster.username ${JSON.stringify(username)} is not valid: give the user name as a string.`,
    );
  }
  if (password && !username) {
    problems.push(
      "cluster.password is given but cluster.username is not: give both (for Azure Cosmos DB for Apache Cassandra: the account name and its primary password), or neither.",
    );
  }
  if (tls !== undefined && typeof tls !== "boolean") {
    if (!tls || typeof tls !== "object") {
      problems.push(
        `cluster.tls ${JSON.stringify(tls)} is not valid: use true, or { caCertificate?, insecure? }.`,
      );
    } else {
      if (tls.insecure !== undefined && typeof tls.insecure !== "boolean") {
        problems.push(
          `cluster.tls.insecure ${JSON.stringify(tls.insecure)} is not valid: use true or false.`,
        );
      }
      const certificate =
        tls.caCertificate && certificateProblem("cluster.tls.caCertificate", tls.caCertificate);
      if (certificate) problems.push(certificate);
    }
  }
  return problems;
}

/** Problems found without reaching the cluster; inputs not known yet (during preview) are not judged. */
export function cassandraInputProblems(news: CassandraJobInputs): Failure[] {
  const failures: Failure[] = cassandraSpecProblems(cassandraSpecOf(news)).map((problem) => ({
    property: cassandraPropertyOfField(problem.field),
    reason: problem.message,
  }));
  if (news.options !== undefined && (typeof news.options !== "object" || Array.isArray(news.options))) {
    failures.push({
      property: "options",
      reason: `options ${JSON.stringify(news.options)} is not valid: give { pageSize?, workerCount? }.`,
    });
  }
  failures.push(
    ...clusterProblems(news.cluster, news.clusterPassword).map((reason) => ({ property: "cluster", reason })),
  );
  failures.push(...lifecycleProblems(news));
  return knownFailures(news, failures);
}

/**
 * With the destination not known yet (a table this deployment creates), what can be checked without it:
 * the source table exists, and no other copy holds the job's name.
 */
async function checkBeforeTarget(
  jobs: CassandraCopyJobs,
  news: CassandraJobInputs,
  spec: CassandraJobSpec,
): Promise<void> {
  const client = await openCassandraClient(clusterConnectionOf(news));
  try {
    await readTableSchema(client, "source", spec.source.keyspace, spec.source.table);
  } finally {
    await client.shutdown();
  }
  const existing = await jobs.find(spec.name);
  if (existing && !(news.resourceUrn && existing.owner === news.resourceUrn)) {
    // Without a destination to compare, a job of this name is another copy.
    refuseOtherCopy(existing, {
      source: { database: spec.source.keyspace, container: spec.source.table },
      mode: "Offline",
    });
  }
}

/** The inputs the cluster checks need, known; the destination may not be (see `checkBeforeTarget`). */
function clusterChecksPossible(news: CassandraJobInputs): boolean {
  return ![news.cluster, news.clusterPassword, news.source, news.jobName, news.options].some(isUnknown);
}

export async function checkCassandraJob(
  _olds: CassandraJobInputs | Record<string, never>,
  news: CassandraJobInputs,
): Promise<pulumi.dynamic.CheckResult<CassandraJobInputs>> {
  const failures = cassandraInputProblems(news);
  if (failures.length === 0 && clusterChecksPossible(news)) {
    const spec = cassandraSpecOf(news);
    try {
      await withCassandraJobs(news, async (jobs) => {
        if (isUnknown(news.destination)) await checkBeforeTarget(jobs, news, spec);
        else await jobs.preflight(spec, { owner: news.resourceUrn });
      });
    } catch (error) {
      failures.push(inResourceTerms(failureOf(error, cassandraPropertyOfField)));
    }
  }
  return { inputs: news, failures };
}
