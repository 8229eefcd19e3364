import type { Client } from "cassandra-driver";
import { JobControl, newJobRecord, type StartOptions } from "../job-control";
import { refuseOtherCopy } from "../job-identity";
import type { PreflightOptions } from "../jobs";
import type { StateStore } from "../state-store";
import {
  type CassandraJobSpec,
  type ContainerRef,
  type CopyOptions,
  type JobRecord,
  type TableRef,
} from "../types";
import { ensureWorkers } from "../worker-process";
import { openCassandraClient, type CassandraConnection } from "./connection";
import { CassandraStateStore } from "./state-store";
import { countRows } from "./table-count";
import { checkCopyableSchemas, readTableSchema } from "./table-schema";
import { splitRing } from "./token-ranges";
import { validateCassandraSpec } from "./validation";

/** A Cassandra spec that passed its checks: the options it records, and both tables' schemas agree. */
export interface CheckedCassandraSpec {
  name: string;
  source: TableRef;
  destination: TableRef;
  options: CopyOptions;
}

export type CassandraCreateOptions = Pick<PreflightOptions, "owner"> & StartOptions;

/** A table as a job record keeps it (see `ContainerRef`). */
function recordedTable(table: TableRef): ContainerRef {
  return { database: table.keyspace, container: table.table };
}

/**
 * Copy jobs of a Cassandra cluster (Azure's `--src-cassandra` / `--dest-cassandra`): a table copied into
 * another table of the same cluster with another primary key. The job, its token ranges' checkpoints and
 * leases, and its workers' heartbeats live in the cluster's `__datatransferstate` keyspace, updated with
 * lightweight transactions; everything after `create` is the machinery NoSQL jobs use (`JobControl`).
 */
export class CassandraCopyJobs extends JobControl {
  protected readonly place = "cluster";
  private client: Promise<Client> | undefined;
  private store: StateStore | undefined;

  private constructor(private readonly connection: CassandraConnection) {
    super();
  }

  static connect(connection: CassandraConnection): CassandraCopyJobs {
    return new CassandraCopyJobs(connection);
  }

  /** Closes the connection; what a call still runs is refused after it. */
  dispose(): void {
    const client = this.client;
    this.client = undefined;
    // Shutting down only closes sockets: there is nothing to wait for or to report if it fails.
    void client?.then((connected) => connected.shutdown()).catch(() => undefined);
  }

  private connect(): Promise<Client> {
    return (this.client ??= openCassandraClient(this.connection));
  }

  protected async state(): Promise<StateStore> {
    this.store ??= await CassandraStateStore.open(await this.connect());
    return this.store;
  }

  protected async existingState(): Promise<StateStore | undefined> {
    this.store ??= await CassandraStateStore.openExisting(await this.connect());
    return this.store;
  }

  /**
   * Everything checked before a row is read: the spec's shape, that both tables exist ("Owner resource does
   * not exist" otherwise), that the target has every source column with the same type, and the name.
   */
  async preflight(spec: CassandraJobSpec, options: PreflightOptions = {}): Promise<CheckedCassandraSpec> {
    const copyOptions = validateCassandraSpec(spec);
    const client = await this.connect();
    const [source, target] = await Promise.all([
      readTableSchema(client, "source", spec.source.keyspace, spec.source.table),
      readTableSchema(client, "destination", spec.destination.keyspace, spec.destination.table),
    ]);
    checkCopyableSchemas(source, target);
    const existing = await (await this.existingState())?.getJob(spec.name);
    if (existing && !(options.owner && existing.owner === options.owner)) {
      refuseOtherCopy(existing, this.identity(spec));
    }
    return { name: spec.name, source: spec.source, destination: spec.destination, options: copyOptions };
  }

  private identity(spec: Pick<CassandraJobSpec, "source" | "destination">) {
    return {
      source: recordedTable(spec.source),
      destination: recordedTable(spec.destination),
      mode: "Offline" as const,
    };
  }

  /**
   * Checks the spec, then records the job, which the workers start from. Idempotent by name: the same spec
   * again returns the existing job.
   */
  async create(spec: CassandraJobSpec, options: CassandraCreateOptions = {}): Promise<JobRecord> {
    const valid = await this.preflight(spec, options);
    const store = await this.state();
    const existing = await store.getJob(valid.name);
    if (existing) refuseOtherCopy(existing, this.identity(valid));
    const job = newJobRecord({
      name: valid.name,
      api: "Cassandra",
      ...this.identity(valid),
      options: valid.options,
      owner: options.owner,
    });
    return this.recordNewJob(store, job, options);
  }

  protected async startWorkers(store: StateStore, job: JobRecord): Promise<void> {
    await ensureWorkers(store, this.connection, job);
  }

  /**
   * Once both tables exist again: from the checkpoints when the target holds at least the rows they count as
   * copied, from the start when it holds fewer (truncated or created again), as for NoSQL jobs.
   */
  protected async resumePoint(store: StateStore, job: JobRecord): Promise<"checkpoints" | "start"> {
    const client = await this.connect();
    await readTableSchema(client, "source", job.source.database, job.source.container);
    const target = await readTableSchema(
      client,
      "destination",
      job.destination.database,
      job.destination.container,
    );
    const held = await countRows(client, target, splitRing());
    const copied = (await store.listRanges(job.name)).reduce((sum, range) => sum + range.processedCount, 0);
    return held >= copied ? "checkpoints" : "start";
  }

  /** The options checked as at `create`; its recorded "full" verification is not the caller's to change. */
  protected async validOptions(job: JobRecord, options: CopyOptions): Promise<CopyOptions> {
    const given: Record<string, unknown> = { ...options };
    delete given.verificationMode;
    return validateCassandraSpec({
      name: job.name,
      source: { keyspace: job.source.database, table: job.source.container },
      destination: { keyspace: job.destination.database, table: job.destination.container },
      // Any other option given (a throughput cap) is refused by name there.
      options: given,
    });
  }
}
