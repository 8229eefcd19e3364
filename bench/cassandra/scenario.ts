import { CassandraCopyJobs } from "../../engine/cassandra/jobs";
import { readTable, type TableTotals } from "../../engine/cassandra/table-verification";
import { readTableSchema } from "../../engine/cassandra/table-schema";
import { splitRing } from "../../engine/cassandra/token-ranges";
import type { CassandraJobSpec } from "../../engine/types";
import { uniqueKeyspace } from "../../test/support/cassandra-node";
import { createKeyspace, createTable, rekeyedKey, seedRows } from "../../test/support/cassandra-tables";
import type { BenchCluster } from "./cluster";

/**
 * One bench run's place in the cluster: a keyspace of its own (the cluster is shared, with the tests among
 * others), its source table of `rows` rows — the tests' fixture, every kind of column: a composite partition
 * key, clustering columns, sets, lists and maps, a frozen UDT, a tuple, blobs, decimals, varints and nulls —
 * and the targets, each keyed otherwise (another partition key and clustering order), so every row moves to
 * another partition. The run's jobs and keyspace are removed at its end.
 */
export class CassandraScenario {
  private readonly jobNames: string[] = [];
  private sourceTotals: Promise<TableTotals> | undefined;

  private constructor(
    readonly cluster: BenchCluster,
    readonly jobs: CassandraCopyJobs,
    readonly keyspace: string,
    /** Rows in the source. */
    readonly rows: number,
    /** How long seeding them took. */
    readonly seedSeconds: number,
  ) {}

  static readonly source = "source";

  static async create(cluster: BenchCluster, rows: number): Promise<CassandraScenario> {
    const started = performance.now();
    const keyspace = uniqueKeyspace("cosmos_copy_bench");
    await createKeyspace(cluster.client, keyspace);
    await createTable(cluster.client, keyspace, CassandraScenario.source);
    await seedRows(cluster.client, keyspace, CassandraScenario.source, rows);
    const seedSeconds = (performance.now() - started) / 1000;
    const jobs = CassandraCopyJobs.connect(cluster.connection);
    return new CassandraScenario(cluster, jobs, keyspace, rows, seedSeconds);
  }

  /** An empty table for one copy, with the source's columns under another primary key. */
  async target(table: string): Promise<string> {
    await createTable(this.cluster.client, this.keyspace, table, rekeyedKey);
    return table;
  }

  /** A job copying the source into `target`, named uniquely for this run. */
  spec(name: string, target: string): CassandraJobSpec {
    const unique = `${this.keyspace}-${name}`;
    this.jobNames.push(unique);
    return {
      name: unique,
      source: { keyspace: this.keyspace, table: CassandraScenario.source },
      destination: { keyspace: this.keyspace, table: target },
    };
  }

  /**
   * The bench's own check of a copy, by reading both tables whole: the target's row count, and whether its
   * rows are the source's (order-independent checksums over the source's columns).
   */
  async check(target: string): Promise<TableCheck> {
    this.sourceTotals ??= this.totals(CassandraScenario.source);
    const [source, copy] = await Promise.all([this.sourceTotals, this.totals(target)]);
    return {
      sourceRows: source.count,
      targetRows: copy.count,
      matched: source.count === copy.count && source.checksum.value === copy.checksum.value,
    };
  }

  private async totals(table: string): Promise<TableTotals> {
    const { client } = this.cluster;
    const schema = await readTableSchema(client, "destination", this.keyspace, table);
    const sourceColumns = (await readTableSchema(client, "source", this.keyspace, CassandraScenario.source))
      .columns;
    return readTable(
      { client, schema },
      sourceColumns.map((column) => column.name),
      splitRing(),
      5000,
    );
  }

  async close(): Promise<void> {
    for (const name of this.jobNames) await this.jobs.delete(name).catch(() => undefined);
    this.jobs.dispose();
    await this.cluster.client.execute(`DROP KEYSPACE IF EXISTS ${this.keyspace}`).catch(() => undefined);
  }
}

export interface TableCheck {
  sourceRows: number;
  targetRows: number;
  /** Same count, same rows. */
  matched: boolean;
}
