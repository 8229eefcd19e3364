import type { Container, CosmosClient, ItemDefinition } from "@azure/cosmos";
import { serviceStatus } from "./errors";
import { withRetries } from "./retry";
import type { JobRecord, RangeRecord } from "./types";

/**
 * Job state kept in the account itself, in the `__datatransferstate` database, as the service does: jobs,
 * per-feed-range checkpoints and leases, and coordination documents (the job slot and worker heartbeats).
 * Every update is a conditional replace on the document's etag, so concurrent workers never lose a write;
 * every call rides out transient faults (a replace that went through before a reset comes back as an etag
 * conflict, which callers already handle).
 * Nothing here deletes the database; deleting it while no job runs only removes history.
 */
export const stateDatabaseId = "__datatransferstate";
const stateThroughput = 800;

/** Which job holds the account's single running slot (jobs in one account run one at a time). */
export interface JobSlot {
  id: "job-slot";
  runningJob?: string;
  _etag?: string;
}

export interface WorkerHeartbeat {
  id: string;
  workerId: string;
  host: string;
  pid: number;
  lastSeen: number;
  /**
   * Endpoints of the other accounts the worker has credentials for: it runs a job whose source is in one
   * of them (`canReadSource`), and no other cross-account job. Absent: none.
   */
  sourceAccounts?: string[];
  _etag?: string;
}

const heartbeatPrefix = "worker:";

function isNotFound(error: unknown): boolean {
  return serviceStatus(error)?.code === 404;
}

function isConflict(error: unknown): boolean {
  const code = serviceStatus(error)?.code;
  return code === 409 || code === 412;
}

/**
 * The engine's view of its state. `CosmosStateStore` keeps it in the account; unit tests use an in-memory
 * one. Replaces are conditional on the document's `_etag` and throw `EtagConflict` when another writer got
 * there first; inserts return undefined when the document exists.
 */
export interface StateStore {
  getJob(name: string): Promise<JobRecord | undefined>;
  /** Every job, oldest first. */
  listJobs(): Promise<JobRecord[]>;
  insertJob(job: JobRecord): Promise<JobRecord | undefined>;
  replaceJob(job: JobRecord): Promise<JobRecord>;
  /** Removes the job and its range records. */
  deleteJob(name: string): Promise<boolean>;
  /** The job's ranges, ordered by their lower bound. */
  listRanges(jobName: string): Promise<RangeRecord[]>;
  getRange(jobName: string, id: string): Promise<RangeRecord | undefined>;
  insertRange(range: RangeRecord): Promise<RangeRecord | undefined>;
  replaceRange(range: RangeRecord): Promise<RangeRecord>;
  /** Removes a range record if its etag still matches (a range replaced by its children after a split). */
  deleteRange(range: RangeRecord): Promise<void>;
  getJobSlot(): Promise<JobSlot>;
  replaceJobSlot(slot: JobSlot): Promise<JobSlot>;
  beat(heartbeat: Omit<WorkerHeartbeat, "id">): Promise<void>;
  removeHeartbeat(workerId: string): Promise<void>;
  /** Workers whose last heartbeat is later than `since` (milliseconds since the epoch). */
  liveWorkers(since: number): Promise<WorkerHeartbeat[]>;
}

/**
 * Read-modify-write of a job with etag retries. `change` returns the new job, or undefined to leave it.
 * Returns the job as stored afterwards (undefined if it does not exist).
 */
export async function updateJob(
  store: StateStore,
  name: string,
  change: (job: JobRecord) => JobRecord | undefined,
): Promise<JobRecord | undefined> {
  for (;;) {
    const job = await store.getJob(name);
    if (!job) return undefined;
    const updated = change(job);
    if (!updated) return job;
    try {
      return await store.replaceJob({ ...updated, lastUpdatedUtcTime: new Date().toISOString() });
    } catch (error) {
      if (!(error instanceof EtagConflict)) throw error;
    }
  }
}

/** Thrown by conditional writes that lost a race; callers re-read and decide again. */
export class EtagConflict extends Error {
  constructor(what: string) {
    super(`${what} was changed by another worker`);
  }
}

export class CosmosStateStore implements StateStore {
  private constructor(
    private readonly jobs: Container,
    private readonly ranges: Container,
    private readonly coordination: Container,
  ) {}

  /**
   * Opens the state database, creating it on first use with 800 RU/s shared by its containers; serverless
   * accounts refuse throughput, so there it is created without.
   */
  static async open(client: CosmosClient): Promise<CosmosStateStore> {
    const database = await client.databases
      .createIfNotExists({ id: stateDatabaseId, throughput: stateThroughput })
      .catch(async (error: unknown) => {
        if (serviceStatus(error)?.code !== 400 || !/serverless/i.test(String(error))) throw error;
        return client.databases.createIfNotExists({ id: stateDatabaseId });
      });
    const container = async (id: string, path: string) =>
      (await database.database.containers.createIfNotExists({ id, partitionKey: { paths: [path] } }))
        .container;
    return new CosmosStateStore(
      await container("jobs", "/id"),
      await container("ranges", "/jobName"),
      await container("coordination", "/id"),
    );
  }

  /** The store if the state database exists, for read-only callers that must not create it. */
  static async openExisting(client: CosmosClient): Promise<CosmosStateStore | undefined> {
    try {
      await client.database(stateDatabaseId).read();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return CosmosStateStore.open(client);
  }

  getJob(name: string): Promise<JobRecord | undefined> {
    return this.read<JobRecord>(this.jobs, name, name);
  }

  async listJobs(): Promise<JobRecord[]> {
    const { resources } = await withRetries(() =>
      this.jobs.items.query<JobRecord>("SELECT * FROM c ORDER BY c.createdAt ASC").fetchAll(),
    );
    return resources;
  }

  insertJob(job: JobRecord): Promise<JobRecord | undefined> {
    return this.create(this.jobs, job);
  }

  replaceJob(job: JobRecord): Promise<JobRecord> {
    return this.replace(this.jobs, job, job.id, `job ${job.id}`);
  }

  async deleteJob(name: string): Promise<boolean> {
    for (const range of await this.listRanges(name)) {
      await this.remove(this.ranges, range.id, name);
    }
    return this.remove(this.jobs, name, name);
  }

  async listRanges(jobName: string): Promise<RangeRecord[]> {
    const { resources } = await withRetries(() =>
      this.ranges.items.query<RangeRecord>("SELECT * FROM c", { partitionKey: jobName }).fetchAll(),
    );
    return resources.sort((a, b) => a.minInclusive.localeCompare(b.minInclusive));
  }

  getRange(jobName: string, id: string): Promise<RangeRecord | undefined> {
    return this.read<RangeRecord>(this.ranges, id, jobName);
  }

  insertRange(range: RangeRecord): Promise<RangeRecord | undefined> {
    return this.create(this.ranges, range);
  }

  replaceRange(range: RangeRecord): Promise<RangeRecord> {
    return this.replace(this.ranges, range, range.jobName, `range ${range.id}`);
  }

  async deleteRange(range: RangeRecord): Promise<void> {
    try {
      await withRetries(() =>
        this.ranges.item(range.id, range.jobName).delete({
          accessCondition: range._etag ? { type: "IfMatch", condition: range._etag } : undefined,
        }),
      );
    } catch (error) {
      if (serviceStatus(error)?.code === 412) throw new EtagConflict(`range ${range.id}`);
      if (!isNotFound(error)) throw error;
    }
  }

  async getJobSlot(): Promise<JobSlot> {
    const slot = await this.read<JobSlot>(this.coordination, "job-slot", "job-slot");
    if (slot) return slot;
    await this.create<JobSlot>(this.coordination, { id: "job-slot" });
    return (await this.read<JobSlot>(this.coordination, "job-slot", "job-slot")) as JobSlot;
  }

  replaceJobSlot(slot: JobSlot): Promise<JobSlot> {
    return this.replace(this.coordination, slot, slot.id, "the job slot");
  }

  async beat(heartbeat: Omit<WorkerHeartbeat, "id">): Promise<void> {
    await withRetries(() =>
      this.coordination.items.upsert({ ...heartbeat, id: `${heartbeatPrefix}${heartbeat.workerId}` }),
    );
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    const id = `${heartbeatPrefix}${workerId}`;
    await this.remove(this.coordination, id, id);
  }

  async liveWorkers(since: number): Promise<WorkerHeartbeat[]> {
    const { resources } = await withRetries(() =>
      this.coordination.items
        .query<WorkerHeartbeat>({
          query: "SELECT * FROM c WHERE STARTSWITH(c.id, @prefix) AND c.lastSeen > @since",
          parameters: [
            { name: "@prefix", value: heartbeatPrefix },
            { name: "@since", value: since },
          ],
        })
        .fetchAll(),
    );
    return resources;
  }

  private async read<T extends ItemDefinition>(container: Container, id: string, partitionKey: string) {
    const response = await withRetries(() => container.item(id, partitionKey).read<T>());
    return response.statusCode === 404 ? undefined : response.resource;
  }

  /** Creates a document; undefined if one with its id exists (concurrent callers agree on the first). */
  private async create<T extends ItemDefinition>(container: Container, document: T): Promise<T | undefined> {
    try {
      return (await withRetries(() => container.items.create<T>(document))).resource;
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  private async remove(container: Container, id: string, partitionKey: string): Promise<boolean> {
    try {
      await withRetries(() => container.item(id, partitionKey).delete());
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async replace<T extends ItemDefinition & { _etag?: string }>(
    container: Container,
    document: T,
    partitionKey: string,
    what: string,
  ): Promise<T> {
    try {
      const response = await withRetries(() =>
        container.item(document.id as string, partitionKey).replace<T>(document, {
          accessCondition: document._etag ? { type: "IfMatch", condition: document._etag } : undefined,
        }),
      );
      return response.resource as T;
    } catch (error) {
      if (serviceStatus(error)?.code === 412) throw new EtagConflict(what);
      throw error;
    }
  }
}
