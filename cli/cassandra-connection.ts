import { Option, type Command } from "commander";
import {
  cassandraConnectionFromEnvironment,
  cassandraVariables,
  parseContactPoints,
  type CassandraConnection,
} from "../engine/cassandra/connection";
import { readOptionFile, shellWord, trustedCertificate } from "./connection";
import { UsageError } from "./usage-error";

/**
 * How the CLI reaches a Cassandra cluster: the CASSANDRA_* variables the engine reads, each of which a flag
 * may override. The password comes from CASSANDRA_PASSWORD or a file, never from the command line.
 */
export interface CassandraOptions {
  contactPoints?: string;
  localDataCenter?: string;
  username?: string;
  passwordFile?: string;
  tls?: boolean;
  /** Shared with the NoSQL account's flags: the certificate to trust, and skipping the check. */
  caFile?: string;
  insecureTls?: boolean;
}

/** The flags only a Cassandra cluster takes (with their option names), for refusing them elsewhere. */
export const cassandraOnlyFlags = [
  ["contactPoints", "--contact-points"],
  ["localDataCenter", "--local-data-center"],
  ["username", "--username"],
  ["passwordFile", "--password-file"],
  ["tls", "--tls"],
] as const satisfies readonly (readonly [keyof CassandraOptions, string])[];

export const passwordOptionRefusal =
  "--password is refused: a password on the command line is visible to every user of this machine (ps, /proc, shell history). Put it in CASSANDRA_PASSWORD, or in a file only you can read and pass --password-file <file>.";

/** Adds the cluster's flags to the program, as global options every command shows. */
export function addCassandraOptions(program: Command): void {
  program
    .option(
      "--contact-points <host[:port],...>",
      "a Cassandra cluster's hosts: work on its jobs (default: the CASSANDRA_CONTACT_POINTS environment variable, when COSMOS_ENDPOINT is not set)",
    )
    .option(
      "--local-data-center <name>",
      "the cluster's data center to use; Azure: the account's region (default: CASSANDRA_LOCAL_DATA_CENTER, else datacenter1)",
    )
    .option("--username <name>", "Cassandra user name; Azure: the account name (default: CASSANDRA_USERNAME)")
    .option(
      "--password-file <file>",
      "file holding the Cassandra user's password (default: the CASSANDRA_PASSWORD environment variable)",
    )
    .option("--tls", "connect to the cluster with TLS (Azure needs it; --ca-file or --insecure-tls imply it)")
    .addOption(new Option("--password [password]").hideHelp());
  // Refused as soon as it is parsed, whatever the command, and without echoing its value.
  program.on("option:password", () =>
    program.error(`error: ${passwordOptionRefusal}`, { exitCode: 2, code: "cosmos-copy.passwordRefused" }),
  );
}

function password(options: CassandraOptions): string | undefined {
  if (!options.passwordFile) return process.env[cassandraVariables.password] || undefined;
  const text = readOptionFile("--password-file", options.passwordFile, "the Cassandra user's password");
  // Only the line break an editor adds goes: a password may begin or end with spaces.
  const value = text.replace(/\r?\n$/, "");
  if (!value) {
    throw new UsageError(
      `--password-file '${options.passwordFile}' is empty: put the user's password in it.`,
    );
  }
  return value;
}

/** The user name and password, from flags or variables; one without the other is refused naming the fix. */
function credentials(options: CassandraOptions): { username?: string; password?: string } {
  const username = options.username || process.env[cassandraVariables.username] || undefined;
  const secret = password(options);
  if (username !== undefined && secret === undefined) {
    throw new UsageError(
      `${options.username ? `--username '${username}'` : "CASSANDRA_USERNAME"} needs a password: put it in CASSANDRA_PASSWORD, or in a file only you can read and pass --password-file <file>.`,
    );
  }
  if (username === undefined && secret !== undefined) {
    throw new UsageError(
      `${options.passwordFile ? "--password-file" : "CASSANDRA_PASSWORD"} is given but no user name: pass --username <name> or set CASSANDRA_USERNAME (Azure: the account name).`,
    );
  }
  return { username, password: secret };
}

/**
 * The cluster's connection: each flag given stands in for its variable, and the engine reads the result as
 * it reads a worker's environment, so the CLI and the engine agree on every default and rule (TLS, data
 * center). Nothing is contacted.
 */
export function cassandraConnectionFrom(options: CassandraOptions): CassandraConnection {
  const { username, password: secret } = credentials(options);
  const contactPoints =
    options.contactPoints && parseContactPoints(options.contactPoints, "--contact-points").join(",");
  const given = (variable: string, value: string | undefined) => (value ? { [variable]: value } : {});
  const connection = cassandraConnectionFromEnvironment({
    ...process.env,
    ...given(cassandraVariables.contactPoints, contactPoints),
    ...given(cassandraVariables.localDataCenter, options.localDataCenter),
    ...given(cassandraVariables.username, username),
    ...given(cassandraVariables.password, secret),
    ...given(cassandraVariables.tls, options.tls ? "1" : undefined),
    ...given(
      cassandraVariables.caCertificate,
      options.caFile ? trustedCertificate("--ca-file", options.caFile) : undefined,
    ),
    ...given(cassandraVariables.insecureTls, options.insecureTls ? "1" : undefined),
  });
  if (!connection) {
    throw new UsageError(
      "No Cassandra cluster: pass --contact-points <host[:port],...> or set CASSANDRA_CONTACT_POINTS.",
    );
  }
  if (connection.tls?.insecure) {
    process.stderr.write("warning: TLS certificate checks are off; use that only for a test cluster.\n");
  }
  return connection;
}

/** The cluster's flags the user typed (no password among them), for a suggested follow-up command. */
export function cassandraFlagsTyped(options: CassandraOptions): string[] {
  const typed: string[] = [];
  if (options.contactPoints) typed.push(`--contact-points ${shellWord(options.contactPoints)}`);
  if (options.localDataCenter) typed.push(`--local-data-center ${shellWord(options.localDataCenter)}`);
  if (options.username) typed.push(`--username ${shellWord(options.username)}`);
  if (options.passwordFile) typed.push(`--password-file ${shellWord(options.passwordFile)}`);
  if (options.tls) typed.push("--tls");
  if (options.caFile) typed.push(`--ca-file ${shellWord(options.caFile)}`);
  if (options.insecureTls) typed.push("--insecure-tls");
  return typed;
}
