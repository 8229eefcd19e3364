import type { Command } from "commander";
import { CopyJobs, type AccountConnection, type JobControl } from "../engine";
import type { CassandraConnection } from "../engine/cassandra/connection";
import { CassandraCopyJobs } from "../engine/cassandra/jobs";
import { cassandraConnectionFrom, cassandraFlagsTyped, type CassandraOptions } from "./cassandra-connection";
import {
  accountFlagsTyped,
  connectionFrom,
  sourceConnectionFrom,
  sourceFlagsTyped,
  type ConnectionOptions,
  type SourceConnectionOptions,
} from "./connection";
import { chosenJobsApi, refuseOtherApisFlags, type JobsApi } from "./jobs-api";
import type { OutputFormat } from "./output";

export interface GlobalOptions extends ConnectionOptions, SourceConnectionOptions, CassandraOptions {
  output: OutputFormat;
}

/**
 * What a job command works with: the jobs of one NoSQL account or Cassandra cluster (the verbs every job
 * has, whatever its API: `JobControl`), the output format, and how to re-attach to a job.
 */
export interface Session<Jobs extends JobControl = JobControl> {
  jobs: Jobs;
  api: JobsApi;
  output: OutputFormat;
  /**
   * The source account's connection, on commands that take `--src-endpoint` and were given it: a
   * cross-account job's source, which its workers read.
   */
  sourceAccount?: AccountConnection;
  /** `cosmos-copy show --job-name J --watch`, with the connection flags this run was given. */
  watchCommand(jobName: string): string;
  /** `cosmos-copy complete --job-name J --wait`, likewise (and the source account's flags). */
  completeCommand(jobName: string): string;
}

async function runSession<Jobs extends JobControl>(
  session: Session<Jobs>,
  run: (session: Session<Jobs>) => Promise<void>,
): Promise<void> {
  try {
    await run(session);
  } finally {
    session.jobs.dispose();
  }
}

/** Suggested commands repeat the flags that chose the jobs (never a key or password: none is a flag). */
function followUps(
  typed: string[],
  sourceTyped: string[],
): Pick<Session, "watchCommand" | "completeCommand"> {
  const commandLine = (name: string, jobName: string, ...flags: string[]) =>
    ["cosmos-copy", ...typed, name, "--job-name", jobName, ...flags].join(" ");
  return {
    watchCommand: (jobName) => commandLine("show", jobName, "--watch"),
    completeCommand: (jobName) => commandLine("complete", jobName, ...sourceTyped, "--wait"),
  };
}

/**
 * The NoSQL account named by the global flags and COSMOS_* variables, and the source account's when
 * `--src-endpoint` names one; Cassandra's flags are refused.
 */
export async function nosqlHome(
  command: Command,
): Promise<{ connection: AccountConnection; sourceAccount?: AccountConnection }> {
  const options = command.optsWithGlobals<GlobalOptions>();
  refuseOtherApisFlags("NoSQL", options);
  const sourceAccount = await sourceConnectionFrom(options);
  return { connection: await connectionFrom(options), sourceAccount };
}

/** A NoSQL account's jobs: `create --src-nosql`, `copy-database`, and the shared verbs when chosen. */
export async function withNoSqlSession(
  command: Command,
  run: (session: Session<CopyJobs>) => Promise<void>,
): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const { connection, sourceAccount } = await nosqlHome(command);
  const jobs = CopyJobs.connect(connection);
  await runSession(
    {
      jobs,
      api: "NoSQL",
      output: options.output,
      sourceAccount,
      ...followUps(accountFlagsTyped(options), sourceFlagsTyped(options)),
    },
    run,
  );
}

/** The cluster named by the global flags and CASSANDRA_* variables; other APIs' flags are refused. */
export function cassandraHome(command: Command): CassandraConnection {
  const options = command.optsWithGlobals<GlobalOptions>();
  refuseOtherApisFlags("Cassandra", options);
  return cassandraConnectionFrom(options);
}

/** A Cassandra cluster's jobs: `create --src-cassandra`, and the shared verbs when chosen. */
export async function withCassandraSession(
  command: Command,
  run: (session: Session<CassandraCopyJobs>, connection: CassandraConnection) => Promise<void>,
): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const connection = cassandraHome(command);
  await runSession(
    {
      jobs: CassandraCopyJobs.connect(connection),
      api: "Cassandra",
      output: options.output,
      ...followUps(cassandraFlagsTyped(options), []),
    },
    (session) => run(session, connection),
  );
}

/** The verbs every job has, on the jobs the global flags (or the environment) choose: see `jobsApiRule`. */
export function withSession(command: Command, run: (session: Session) => Promise<void>): Promise<void> {
  return chosenJobsApi(command.optsWithGlobals<GlobalOptions>()) === "Cassandra"
    ? withCassandraSession(command, run)
    : withNoSqlSession(command, run);
}
