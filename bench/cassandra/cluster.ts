import type { Client } from "cassandra-driver";
import type { CassandraConnection } from "../../engine/cassandra/connection";
import { openCassandra, usingProjectNode } from "../../test/support/cassandra-node";
import { processCpuSeconds } from "../measure/cpu-time";
import { processListeningOn } from "./node-process";

/**
 * The Cassandra cluster the Cassandra scenario runs against, as the tests find it: the one CASSANDRA_* names
 * (see engine/cassandra/connection.ts), otherwise the project's node, started by scripts/cassandra-node.sh if
 * it is not running (and left running: it is shared). When the cluster is one local node, the bench also
 * reads that node's CPU time, to tell a busy node from a slow client.
 */
export interface BenchCluster {
  connection: CassandraConnection;
  client: Client;
  /** What the report calls the cluster. */
  description: string;
  /** CPU seconds the local node's process has used so far (all its threads); absent for a remote cluster. */
  nodeCpuSeconds?: () => number | undefined;
  /** Shuts the bench's client down; the cluster keeps running. */
  stop(): Promise<void>;
}

/** The port of a `127.0.0.1:9042`-style contact point on this machine, if it is one. */
function localPort(contactPoint: string): number | undefined {
  const match = /^(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(contactPoint);
  return match ? Number(match[1]) : undefined;
}

export async function openBenchCluster(): Promise<BenchCluster> {
  const node = await openCassandra();
  const { connection, client } = node;
  const version = (await client.execute("SELECT release_version FROM system.local")).first().get(0) as string;
  const port = connection.contactPoints.length === 1 ? localPort(connection.contactPoints[0]) : undefined;
  const pid = port === undefined ? undefined : processListeningOn(port);
  const where = usingProjectNode
    ? "the project's node (scripts/cassandra-node.sh)"
    : "CASSANDRA_CONTACT_POINTS";
  const local = pid === undefined ? "" : ", one local node";
  return {
    connection,
    client,
    description: `Apache Cassandra ${version} at ${connection.contactPoints.join(",")} (${where}${local})`,
    nodeCpuSeconds: pid === undefined ? undefined : () => processCpuSeconds(pid),
    stop: () => node.stop(),
  };
}
