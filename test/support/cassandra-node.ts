import type * as cassandra from "cassandra-driver";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  cassandraConnectionFromEnvironment,
  openCassandraClient,
  type CassandraConnection,
} from "../../engine/cassandra/connection";

/**
 * The Cassandra cluster a suite runs against: the one named by CASSANDRA_CONTACT_POINTS (and the other
 * CASSANDRA_* variables, see engine/cassandra/connection.ts) when set — any cluster, Azure Cosmos DB for
 * Apache Cassandra included — otherwise the project's own node, started by scripts/cassandra-node.sh.
 *
 * The project's node is shared: `start` is idempotent, so the first suite of a run starts it (about 10 s once
 * its jars are cached) and every later suite, and the next run, finds it running. It is left running after
 * the run; `bash scripts/cassandra-node.sh stop` stops it (.ci/run does). Suites therefore keep to keyspaces
 * of their own (`uniqueKeyspace`) and drop them when done.
 */
export interface TestCassandra {
  connection: CassandraConnection;
  client: cassandra.Client;
  /** Shuts this suite's client down; the node keeps running. */
  stop(): Promise<void>;
}

/** The cold path installs Cassandra's jars with Maven (about a minute) and then boots it (up to 240 s). */
export const CASSANDRA_START_TIMEOUT_MS = 10 * 60 * 1000;

const repoRoot = path.resolve(__dirname, "..", "..", "..");

async function startProjectNode(): Promise<CassandraConnection> {
  try {
    await promisify(execFile)("bash", [path.join(repoRoot, "scripts", "cassandra-node.sh"), "start"], {
      cwd: repoRoot,
      timeout: CASSANDRA_START_TIMEOUT_MS,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`bash scripts/cassandra-node.sh start failed:\n${stderr ?? String(error)}`);
  }
  const contactPoint = fs.readFileSync(path.join(repoRoot, ".cassandra", "contact-point"), "utf8").trim();
  return { contactPoints: [contactPoint], localDataCenter: "datacenter1" };
}

/** True when the suites run against the project's own node rather than a cluster from the environment. */
export const usingProjectNode = cassandraConnectionFromEnvironment() === undefined;

export async function openCassandra(): Promise<TestCassandra> {
  const connection = cassandraConnectionFromEnvironment() ?? (await startProjectNode());
  const client = await openCassandraClient(connection);
  return { connection, client, stop: () => client.shutdown() };
}

/**
 * A keyspace name no other suite or run uses: `prefix` made a valid unquoted CQL identifier (lowercase
 * letters, digits, underscores, starting with a letter), then a time and a random suffix; 48 characters at
 * most, the limit of Cassandra's keyspace names.
 */
export function uniqueKeyspace(prefix: string): string {
  const suffix = `_${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
  const stem = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return `${/^[a-z]/.test(stem) ? "" : "k"}${stem}`.slice(0, 48 - suffix.length) + suffix;
}
