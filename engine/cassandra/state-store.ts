import { randomUUID } from "node:crypto";
import { errors, types, type Client, type QueryOptions } from "cassandra-driver";
import { backOff } from "exponential-backoff";
import { forEachInFlight } from "../in-flight";
import { defaultRetryPolicy } from "../retry";
import {
  EtagConflict,
  stateDatabaseId,
  type JobSlot,
  type StateStore,
  type WorkerHeartbeat,
} from "../state-store";
import type { JobRecord, RangeRecord } from "../types";

/** Where `CassandraStateStore.open` keeps the state and how it creates its keyspace. */
export interface CassandraStateStoreOptions {
  /**
   * The keyspace holding the state: `__datatransferstate` unless given. Only tests name another, to keep
   * their runs apart; jobs must always use the default, which is where every worker and the CLI look.
   */
  keyspace?: string;
  /**
   * The replication of the keyspace when this call creates it (ignored if it exists), as CQL's map, e.g.
   * `{ class: "NetworkTopologyStrategy", dc1: 3 }`. Default: NetworkTopologyStrategy with, in each data
   * center the client sees, as many replicas as it has nodes, up to 3.
   */
  replication?: Record<string, string | number>;
}

/** The keyspace's tables and their columns; ranges are partitioned by their job. */
const tableColumns: Record<string, string> = {
  jobs: "(name text PRIMARY KEY, body text, etag text)",
  ranges: "(job_name text, id text, body text, etag text, PRIMARY KEY ((job_name), id))",
  coordination: "(id text PRIMARY KEY, body text, etag text)",
  heartbeats: "(worker_id text PRIMARY KEY, body text)",
};

const rangeDeletesInFlight = 16;

/** Three replicas let QUORUM reads and writes go on with one of them down. */
const maxReplicasPerDataCenter = 3;

/** Reads, and the plain writes of heartbeats. */
const atQuorum: QueryOptions = { prepare: true, consistency: types.consistencies.quorum };
/** Every write of a record: its Paxos round at SERIAL, its commit at QUORUM. */
const asLightweightTransaction: QueryOptions = { ...atQuorum, serialConsistency: types.consistencies.serial };

/**
 * Job state of Cassandra copy jobs, kept in the cluster itself, in the keyspace `__datatransferstate`, with
 * the semantics of `CosmosStateStore` (read its comments): each record is a row holding its JSON body and an
 * `etag` column that every write sets to a fresh uuid, and `_etag` of the returned documents is that column.
 * Where the NoSQL store sends an etag precondition, this one writes a lightweight transaction (`IF etag = ?`);
 * inserts are `IF NOT EXISTS`, and even "unconditional" replaces and deletes are `IF EXISTS`: a plain write
 * is stamped by the client's clock and does not wait for a Paxos round in progress on its row, so mixing
 * both kinds on one row can lose writes. Every write of a record row is therefore an LWT.
 *
 * Consistency: LWTs run their Paxos rounds at SERIAL (across data centers: workers of one job may sit in
 * several) and commit at QUORUM; reads are at QUORUM, which overlaps the quorum of every LWT that returned,
 * so a read sees every completed write. It may miss one still in flight; the next conditional write then
 * finishes that round first and fails its condition, which callers handle as any etag conflict. SERIAL reads
 * would close that window at the price of a Paxos round per read, for nothing the callers need.
 *
 * A timed-out LWT is ambiguous (it may have applied). Calls are retried, and each write's new etag is chosen
 * before the first attempt: a retry that finds the row holding that very etag knows its earlier attempt went
 * through and answers as if it had just succeeded.
 *
 * Heartbeats live in a table of their own written with plain upserts: only their worker writes them, so
 * they need no condition, and no LWT ever touches that table.
 */
export class CassandraStateStore implements StateStore {
  private readonly jobs: RecordTable<JobRecord>;
  private readonly ranges: RecordTable<RangeRecord>;
  private readonly coordination: RecordTable<JobSlot>;
  private readonly heartbeats: string;

  private constructor(
    private readonly client: Client,
    keyspace: string,
  ) {
    const table = (name: string) => `${quoted(keyspace)}.${name}`;
    this.jobs = new RecordTable(client, table("jobs"), ["name"]);
    this.ranges = new RecordTable(client, table("ranges"), ["job_name", "id"]);
    this.coordination = new RecordTable(client, table("coordination"), ["id"]);
    this.heartbeats = table("heartbeats");
  }

  /** Opens the state keyspace, creating it and its tables on first use. */
  static async open(client: Client, options: CassandraStateStoreOptions = {}): Promise<CassandraStateStore> {
    const keyspace = validKeyspace(options.keyspace ?? stateDatabaseId);
    let existing = await existingTables(client, keyspace);
    if (!existing) {
      const replication = options.replication ?? defaultReplication(client);
      const create = `CREATE KEYSPACE IF NOT EXISTS ${quoted(keyspace)} WITH replication = ${cqlMap(replication)}`;
      await execute(client, create, [], {});
      existing = new Set();
    }
    // Only what is missing is created, so callers whose role may not change the schema can open it once it
    // exists; the driver waits for the cluster's schema agreement after each.
    for (const [name, columns] of Object.entries(tableColumns)) {
      if (existing.has(name)) continue;
      await execute(client, `CREATE TABLE IF NOT EXISTS ${quoted(keyspace)}.${name} ${columns}`, [], {});
    }
    return new CassandraStateStore(client, keyspace);
  }

  /** The store if the state keyspace exists, for read-only callers that must not create it. */
  static async openExisting(
    client: Client,
    options: Pick<CassandraStateStoreOptions, "keyspace"> = {},
  ): Promise<CassandraStateStore | undefined> {
    const keyspace = validKeyspace(options.keyspace ?? stateDatabaseId);
    if (!(await existingTables(client, keyspace))) return undefined;
    return CassandraStateStore.open(client, { keyspace });
  }

  getJob(name: string): Promise<JobRecord | undefined> {
    return this.jobs.get([name]);
  }

  async listJobs(): Promise<JobRecord[]> {
    const jobs = await this.jobs.list([]);
    return jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  insertJob(job: JobRecord): Promise<JobRecord | undefined> {
    return this.jobs.insert([job.name], job);
  }

  replaceJob(job: JobRecord): Promise<JobRecord> {
    return this.jobs.replace([job.name], job, `job ${job.name}`);
  }

  async deleteJob(name: string): Promise<boolean> {
    // One LWT per range (a conditional delete names one row), a few at a time.
    await forEachInFlight(await this.listRanges(name), rangeDeletesInFlight, async (range) => {
      await this.ranges.remove([name, range.id], undefined, `range ${range.id}`);
    });
    return this.jobs.remove([name], undefined, `job ${name}`);
  }

  async listRanges(jobName: string): Promise<RangeRecord[]> {
    const ranges = await this.ranges.list([jobName]);
    return ranges.sort((a, b) => a.minInclusive.localeCompare(b.minInclusive));
  }

  getRange(jobName: string, id: string): Promise<RangeRecord | undefined> {
    return this.ranges.get([jobName, id]);
  }

  insertRange(range: RangeRecord): Promise<RangeRecord | undefined> {
    return this.ranges.insert([range.jobName, range.id], range);
  }

  replaceRange(range: RangeRecord): Promise<RangeRecord> {
    return this.ranges.replace([range.jobName, range.id], range, `range ${range.id}`);
  }

  async deleteRange(range: RangeRecord): Promise<void> {
    await this.ranges.remove([range.jobName, range.id], range._etag, `range ${range.id}`);
  }

  async getJobSlot(): Promise<JobSlot> {
    const slot = await this.coordination.get(["job-slot"]);
    if (slot) return slot;
    // Concurrent first callers agree on the first insert.
    return (
      (await this.coordination.insert(["job-slot"], { id: "job-slot" })) ??
      ((await this.coordination.get(["job-slot"])) as JobSlot)
    );
  }

  replaceJobSlot(slot: JobSlot): Promise<JobSlot> {
    return this.coordination.replace([slot.id], slot, "the job slot");
  }

  async beat(heartbeat: Omit<WorkerHeartbeat, "id">): Promise<void> {
    const document: WorkerHeartbeat = { ...heartbeat, id: `worker:${heartbeat.workerId}` };
    await execute(
      this.client,
      `INSERT INTO ${this.heartbeats} (worker_id, body) VALUES (?, ?)`,
      [heartbeat.workerId, JSON.stringify(document)],
      atQuorum,
    );
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    await execute(this.client, `DELETE FROM ${this.heartbeats} WHERE worker_id = ?`, [workerId], atQuorum);
  }

  /** The table holds one row per worker that has not said goodbye: small enough to filter here. */
  async liveWorkers(since: number): Promise<WorkerHeartbeat[]> {
    const rows = await selectAll(this.client, `SELECT body FROM ${this.heartbeats}`, []);
    return rows
      .map((row) => JSON.parse(row.get("body") as string) as WorkerHeartbeat)
      .filter((heartbeat) => heartbeat.lastSeen > since);
  }
}

interface StoredRecord {
  _etag?: string;
}

/**
 * One table of records keyed by `keyColumns` (the partition key first), each a JSON body and its etag, every
 * write of which is a lightweight transaction (see CassandraStateStore).
 */
class RecordTable<T extends StoredRecord> {
  private readonly where: string;

  constructor(
    private readonly client: Client,
    private readonly table: string,
    private readonly keyColumns: string[],
  ) {
    this.where = keyColumns.map((column) => `${column} = ?`).join(" AND ");
  }

  async get(key: string[]): Promise<T | undefined> {
    const result = await execute(
      this.client,
      `SELECT body, etag FROM ${this.table} WHERE ${this.where}`,
      key,
      atQuorum,
    );
    const row = result.first();
    return row ? document<T>(row) : undefined;
  }

  /** Every record of a partition, or of the table when `partitionKey` is empty. */
  async list(partitionKey: string[]): Promise<T[]> {
    const where = partitionKey.length ? ` WHERE ${this.keyColumns[0]} = ?` : "";
    const rows = await selectAll(this.client, `SELECT body, etag FROM ${this.table}${where}`, partitionKey);
    return rows.map((row) => document<T>(row));
  }

  /** Undefined if a record with this key exists (concurrent callers agree on the first). */
  async insert(key: string[], record: T): Promise<T | undefined> {
    const etag = randomUUID();
    const columns = [...this.keyColumns, "body", "etag"];
    const result = await execute(
      this.client,
      `INSERT INTO ${this.table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) IF NOT EXISTS`,
      [...key, body(record), etag],
      asLightweightTransaction,
    );
    return result.wasApplied() || currentEtag(result) === etag ? { ...record, _etag: etag } : undefined;
  }

  /**
   * Replaces the record if its etag is still `record._etag` (unconditionally when it has none); throws
   * EtagConflict if another write got there first, and a 404 error if the record does not exist.
   */
  async replace(key: string[], record: T, what: string): Promise<T> {
    const etag = randomUUID();
    const condition = record._etag ? "IF etag = ?" : "IF EXISTS";
    const result = await execute(
      this.client,
      `UPDATE ${this.table} SET body = ?, etag = ? WHERE ${this.where} ${condition}`,
      [body(record), etag, ...key, ...(record._etag ? [record._etag] : [])],
      asLightweightTransaction,
    );
    const current = currentEtag(result);
    if (result.wasApplied() || current === etag) return { ...record, _etag: etag };
    if (current === undefined) throw notFound(what);
    throw new EtagConflict(what);
  }

  /**
   * Deletes the record if its etag is still `etag` (unconditionally when undefined); throws EtagConflict if
   * another write changed it. Returns whether this call found it.
   */
  async remove(key: string[], etag: string | undefined, what: string): Promise<boolean> {
    const result = await execute(
      this.client,
      `DELETE FROM ${this.table} WHERE ${this.where} ${etag ? "IF etag = ?" : "IF EXISTS"}`,
      [...key, ...(etag ? [etag] : [])],
      asLightweightTransaction,
    );
    if (result.wasApplied()) return true;
    if (currentEtag(result) === undefined) return false;
    throw new EtagConflict(what);
  }
}

/** Every row of a query's result, all pages. */
function selectAll(client: Client, query: string, params: unknown[]): Promise<types.Row[]> {
  // The pages after the first are fetched as the rows are iterated: a fault on one retries the whole read.
  return retried(async () => {
    const rows: types.Row[] = [];
    for await (const row of await client.execute(query, params, atQuorum)) rows.push(row);
    return rows;
  });
}

function execute(client: Client, query: string, params: unknown[], options: QueryOptions) {
  return retried(() => client.execute(query, params, options));
}

/** The record without its etag, which has a column of its own. */
function body(record: StoredRecord): string {
  return JSON.stringify({ ...record, _etag: undefined });
}

function document<T>(row: types.Row): T {
  return { ...(JSON.parse(row.get("body") as string) as T), _etag: row.get("etag") as string };
}

/** The etag a failed LWT found on the row: undefined when there was no row. */
function currentEtag(result: types.ResultSet): string | undefined {
  return (result.first()?.get("etag") as string | null | undefined) ?? undefined;
}

/** Shaped like the service's 404 (see `serviceStatus`), as a replace of a missing document gets from Cosmos. */
function notFound(what: string): Error {
  return Object.assign(new Error(`${what} does not exist`), { code: 404 });
}

/** The keyspace's tables, or undefined if it does not exist. */
async function existingTables(client: Client, keyspace: string): Promise<Set<string> | undefined> {
  const schema = (table: string, column: string) =>
    execute(client, `SELECT ${column} FROM system_schema.${table} WHERE keyspace_name = ?`, [keyspace], {
      prepare: true,
    });
  if (!(await schema("keyspaces", "keyspace_name")).first()) return undefined;
  const tables = await schema("tables", "table_name");
  return new Set(tables.rows.map((row) => row.get("table_name") as string));
}

function defaultReplication(client: Client): Record<string, number | string> {
  const nodes = new Map<string, number>();
  // Every node the driver knows, up or not: a node down today still holds its share of the replicas.
  client.hosts.forEach((host) => nodes.set(host.datacenter, (nodes.get(host.datacenter) ?? 0) + 1));
  const replication: Record<string, number | string> = { class: "NetworkTopologyStrategy" };
  for (const [dataCenter, count] of nodes)
    replication[dataCenter] = Math.min(count, maxReplicasPerDataCenter);
  return replication;
}

/** CQL's map literal, e.g. `{'class': 'NetworkTopologyStrategy', 'dc1': '3'}` (quotes in values doubled). */
function cqlMap(map: Record<string, string | number>): string {
  const literal = (value: string | number) => `'${String(value).replace(/'/g, "''")}'`;
  return `{${Object.entries(map)
    .map(([key, value]) => `${literal(key)}: ${literal(value)}`)
    .join(", ")}}`;
}

/** Cassandra's own rule for keyspace names. */
function validKeyspace(name: string): string {
  if (!/^\w{1,48}$/.test(name)) {
    throw new Error(
      `The state keyspace name '${name}' is not valid: use 1 to 48 letters, digits and underscores.`,
    );
  }
  return name;
}

/** Quoted, since `__datatransferstate` starts with underscores, which unquoted CQL names cannot. */
function quoted(keyspace: string): string {
  return `"${keyspace}"`;
}

/** Every call to the cluster goes through here, riding out its transient faults. */
function retried<T>(call: () => Promise<T>): Promise<T> {
  // TODO(merge): `return withCassandraRetries(call);` from ./retry, and drop isTransientCassandraError.
  return backOff(call, {
    numOfAttempts: defaultRetryPolicy.attempts,
    startingDelay: defaultRetryPolicy.startingDelayMs,
    maxDelay: defaultRetryPolicy.maxDelayMs,
    jitter: "full",
    retry: isTransientCassandraError,
  });
}

const transientResponseCodes = new Set<number>([
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
]);

function isTransientCassandraError(error: unknown): boolean {
  return (
    error instanceof errors.NoHostAvailableError ||
    error instanceof errors.OperationTimedOutError ||
    (error instanceof errors.ResponseError && transientResponseCodes.has(error.code))
  );
}
