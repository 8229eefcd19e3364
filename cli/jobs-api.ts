import { cassandraVariables } from "../engine/cassandra/connection";
import { cassandraOnlyFlags, type CassandraOptions } from "./cassandra-connection";
import { sourceFlagsTyped, type ConnectionOptions, type SourceConnectionOptions } from "./connection";
import { UsageError } from "./usage-error";

/**
 * Where the jobs a command works on live: a Cosmos DB NoSQL account, or a Cassandra cluster. `create` says
 * it with its source flag; every other command takes it from the global flags, then the environment.
 */
export type JobsApi = "NoSQL" | "Cassandra";

/** The rule, as help texts and the README state it. */
export const jobsApiRule =
  "Commands other than create work on a Cassandra cluster's jobs when --contact-points is given, or CASSANDRA_CONTACT_POINTS is set and neither --endpoint nor COSMOS_ENDPOINT is; otherwise on the NoSQL account's (--endpoint or COSMOS_ENDPOINT).";

const endpointVariable = "COSMOS_ENDPOINT";
const contactPointsVariable = cassandraVariables.contactPoints;

function isSet(variable: string, env: NodeJS.ProcessEnv): boolean {
  return (env[variable]?.trim() ?? "") !== "";
}

export function chosenJobsApi(
  options: ConnectionOptions & CassandraOptions,
  env: NodeJS.ProcessEnv = process.env,
): JobsApi {
  if (options.contactPoints && options.endpoint) {
    throw new UsageError(
      "--endpoint and --contact-points name two places for the jobs (a NoSQL account and a Cassandra cluster): give one of them.",
    );
  }
  if (options.contactPoints) return "Cassandra";
  if (options.endpoint) return "NoSQL";
  const cassandra = isSet(contactPointsVariable, env);
  const nosql = isSet(endpointVariable, env);
  if (cassandra && nosql) {
    throw new UsageError(
      `Both ${endpointVariable} and ${contactPointsVariable} are set, so it is unclear whose jobs to work on: pass --endpoint <url> for the NoSQL account's or --contact-points <host[:port],...> for the Cassandra cluster's, or unset one of the two.`,
    );
  }
  return cassandra ? "Cassandra" : "NoSQL";
}

type GlobalFlags = ConnectionOptions & SourceConnectionOptions & CassandraOptions;

const cassandraJobs = "a Cassandra cluster's jobs (--contact-points or CASSANDRA_CONTACT_POINTS)";
const nosqlJobs = "a NoSQL account's jobs (--endpoint or COSMOS_ENDPOINT)";

/**
 * Refuses the flags of the other API, which would otherwise be ignored without a word (`--ca-file` and
 * `--insecure-tls` serve both). Nothing has been contacted yet.
 */
export function refuseOtherApisFlags(api: JobsApi, options: GlobalFlags): void {
  const typed =
    api === "Cassandra"
      ? [
          ...(options.endpoint ? ["--endpoint"] : []),
          ...(options.keyFile ? ["--key-file"] : []),
          ...(options.auth === "aad" ? ["--auth aad"] : []),
          ...sourceFlagsTyped(options).map((flag) => flag.split(" ")[0]),
        ]
      : cassandraOnlyFlags.filter(([name]) => options[name] !== undefined).map(([, flag]) => flag);
  if (typed.length === 0) return;
  const [these, does] = typed.length === 1 ? ["it", "does"] : ["them", "do"];
  throw new UsageError(
    api === "Cassandra"
      ? `${typed.join(", ")} ${does} not apply to ${cassandraJobs}: a Cassandra copy's tables are both in that cluster, reached with its own flags. Drop ${these}.`
      : `${typed.join(", ")} ${typed.length === 1 ? "is a Cassandra cluster's flag" : "are a Cassandra cluster's flags"}, but this command works on ${nosqlJobs}: drop ${these}.`,
  );
}
