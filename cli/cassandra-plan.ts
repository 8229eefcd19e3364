import type { CassandraJobSpec, CopyOptions } from "../engine";
import { openCassandraClient, type CassandraConnection } from "../engine/cassandra/connection";
import type { CassandraCopyJobs } from "../engine/cassandra/jobs";
import { countRows } from "../engine/cassandra/table-count";
import { readTableSchema, type TableSchema } from "../engine/cassandra/table-schema";
import { splitRing } from "../engine/cassandra/token-ranges";

/**
 * `create --src-cassandra … --dry-run`: everything `create` checks (the engine's `preflight`: names, both
 * tables, their columns, the job name), then what the copy would take: both tables' keys and the source's
 * row count. Nothing is written. The count is the cluster's own, over the token ranges a job would lease,
 * so it reads the whole source table on the cluster once, as the copy will.
 */
export interface CassandraTablePlan {
  keyspace: string;
  table: string;
  /** The key as CQL declares it: `PRIMARY KEY ((tenant, region), day, seq)`. */
  primaryKey: string;
  partitionKey: string[];
  clustering: string[];
  columnCount: number;
}

export interface CassandraCopyPlan {
  name: string;
  source: CassandraTablePlan;
  destination: CassandraTablePlan;
  sourceRowCount: number;
  /** What the job would record: its page size, workers and ("full", always) verification. */
  options: CopyOptions;
}

function primaryKeyOf(schema: TableSchema): string {
  const partition =
    schema.partitionKey.length === 1 ? schema.partitionKey[0] : `(${schema.partitionKey.join(", ")})`;
  return `PRIMARY KEY (${[partition, ...schema.clustering].join(", ")})`;
}

function tablePlan(schema: TableSchema): CassandraTablePlan {
  return {
    keyspace: schema.keyspace,
    table: schema.table,
    primaryKey: primaryKeyOf(schema),
    partitionKey: schema.partitionKey,
    clustering: schema.clustering,
    columnCount: schema.columns.length,
  };
}

export async function planCassandraCopy(
  jobs: CassandraCopyJobs,
  connection: CassandraConnection,
  spec: CassandraJobSpec,
): Promise<CassandraCopyPlan> {
  const checked = await jobs.preflight(spec);
  // The jobs' own client is theirs alone; a dry run reads the schemas and counts with one of its own.
  const client = await openCassandraClient(connection);
  try {
    const [source, destination] = await Promise.all([
      readTableSchema(client, "source", spec.source.keyspace, spec.source.table),
      readTableSchema(client, "destination", spec.destination.keyspace, spec.destination.table),
    ]);
    return {
      name: checked.name,
      source: tablePlan(source),
      destination: tablePlan(destination),
      sourceRowCount: await countRows(client, source, splitRing()),
      options: checked.options,
    };
  } finally {
    await client.shutdown();
  }
}
