import type { Client } from "cassandra-driver";
import type { CopyBackend, JobData, JobDataContext, JobPacers, RangeRunEnvironment } from "../copy-backend";
import { newRangeRecord } from "../job-ranges";
import type { Lease } from "../lease-manager";
import { copyRange } from "../range-copy";
import type { StateStore } from "../state-store";
import { ThroughputPacer } from "../throughput-pacer";
import type { JobError, JobRecord, RangeRecord, Verification } from "../types";
import { openCassandraClient, type CassandraConnection } from "./connection";
import { CassandraStateStore } from "./state-store";
import { TableRowSink } from "./row-sink";
import { countRows } from "./table-count";
import { TokenRangeReader } from "./table-reader";
import { checkCopyableSchemas, readTableSchema, type TableSchema } from "./table-schema";
import { verifyTables } from "./table-verification";
import { splitRing, type TokenRange } from "./token-ranges";

/**
 * The Cassandra backend: jobs of one cluster, their state in its `__datatransferstate` keyspace, their source
 * tables read by token range (`token(pk) > ? AND token(pk) <= ?`, paged), their target tables written by
 * prepared INSERTs. A job's range records are its token ranges: a record's `minInclusive` is the token the
 * range starts after and `maxExclusive` its last token, both as bound strings (see token-ranges.ts).
 */
export class CassandraBackend implements CopyBackend {
  readonly readableSources: string[] = [];
  private client: Promise<Client> | undefined;

  constructor(private readonly connection: CassandraConnection) {}

  /** One client for the worker's life, connected on first use. */
  private connect(): Promise<Client> {
    return (this.client ??= openCassandraClient(this.connection));
  }

  async openState(): Promise<StateStore> {
    return CassandraStateStore.open(await this.connect());
  }

  canRun(job: JobRecord): boolean {
    return job.api === "Cassandra";
  }

  /** The source's row count (a cluster has no cheaper exact one than counting its token ranges). */
  async startingFields(job: JobRecord): Promise<Partial<JobRecord>> {
    const client = await this.connect();
    const source = await readTableSchema(client, "source", job.source.database, job.source.container);
    return { totalCount: await countRows(client, source, splitRing()) };
  }

  async openJob(job: JobRecord, context: JobDataContext): Promise<JobData> {
    const client = await this.connect();
    const [source, target] = await Promise.all([
      readTableSchema(client, "source", job.source.database, job.source.container),
      readTableSchema(client, "destination", job.destination.database, job.destination.container),
    ]);
    // Checked at create too; a table altered since would otherwise fail row by row.
    checkCopyableSchemas(source, target);
    const data = new CassandraJobData(client, job, context, source, target);
    await data.syncRanges();
    return data;
  }

  async dispose(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await (await client?.catch(() => undefined))?.shutdown();
  }
}

function tokenRangeOf(range: Pick<RangeRecord, "minInclusive" | "maxExclusive">): TokenRange {
  return { lower: range.minInclusive, upper: range.maxExclusive };
}

class CassandraJobData implements JobData {
  /** A cluster has no request units to budget: writes are bounded by their concurrency instead. */
  readonly pacers: JobPacers = { write: new ThroughputPacer(undefined) };
  private readonly columns: string[];

  constructor(
    private readonly client: Client,
    private readonly job: JobRecord,
    private readonly context: JobDataContext,
    private readonly source: TableSchema,
    private readonly target: TableSchema,
  ) {
    this.columns = source.columns.map((column) => column.name);
  }

  /** The ring's ranges never change (the job bounds them itself): only missing records are created. */
  async syncRanges(): Promise<void> {
    const recorded = new Set((await this.context.store.listRanges(this.job.name)).map((range) => range.id));
    for (const range of splitRing()) {
      const record = newRangeRecord(this.job.name, { minInclusive: range.lower, maxExclusive: range.upper });
      if (!recorded.has(record.id)) await this.context.store.insertRange(record);
    }
  }

  runRange(range: RangeRecord, lease: Lease, env: RangeRunEnvironment): Promise<string> {
    const { pageSize } = this.job.options;
    return copyRange(
      {
        ...env,
        reader: new TokenRangeReader(
          this.client,
          this.source,
          tokenRangeOf(range),
          pageSize,
          lease.record.continuation,
          this.columns,
        ),
        sink: new TableRowSink(this.client, this.target, this.columns),
        checksums: true,
      },
      lease,
    );
  }

  /** A cluster has no write region to fail over: nothing ends a Cassandra job from outside. */
  async checkHealth(): Promise<JobError | undefined> {
    return undefined;
  }

  async verify(job: JobRecord, ranges: RangeRecord[]): Promise<Verification> {
    return verifyTables({
      source: { client: this.client, schema: this.source },
      target: { client: this.client, schema: this.target },
      columns: this.columns,
      ranges: ranges.map(tokenRangeOf),
      pageSize: job.options.pageSize,
      copiedCount: ranges.reduce((sum, range) => sum + range.processedCount, 0),
    });
  }
}
