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

/** Thrown by conditional writes that lost a race; callers re-read and decide again. */
export class EtagConflict extends Error {
  constructor(what: string) {
    super(`${what} was changed by another worker`);
  }
}

export class StateStore {
  private constructor(
    private readonly jobs: Container,
    private readonly ranges: Container,
    private readonly coordination: Container,
  ) {}

  /**
   * Opens the state database, creating it on first use with 800 RU/s shared by its containers; serverless
   * accounts refuse throughput, so there it is created without.
   */
  static async open(client: CosmosClient): Promise<StateStore> {
    const database = await client.databases
      .createIfNotExists({ id: stateDatabaseId, throughput: stateThroughput })
      .catch(async (error: unknown) => {
        if (serviceStatus(error)?.code !== 400 || !/serverless/i.test(String(error))) throw error;
        return client.databases.createIfNotExists({ id: stateDatabaseId });
      });
    const container = async (id: string, path: string) =>
      (await database.database.containers.createIfNotExists({ id, partitionKey: { paths: [path] } }))
        .container;
    return new StateStore(
      await container("jobs", "/id"),
      await container("ranges", "/jobName"),
      await container("coordination", "/id"),
    );
  }

  /** The store if the state database exists, for read-only callers that must not create it. */
  static async openExisting(client: CosmosClient): Promise<StateStore | undefined> {
    try {
      await client.database(stateDatabaseId).read();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    return StateStore.open(client);
  }

  async getJob(name: string): Promise<JobRecord | undefined> {
    return this.read<JobRecord>(this.jobs, name, name);
  }

  async listJobs(): Promise<JobRecord[]> {
    const { resources } = await withRetries(() =>
      this.jobs.items.query<JobRecord>("SELECT * FROM c ORDER BY c.createdAt ASC").fetchAll(),
    );
    return resources;
  }

  /** Inserts a new job; returns undefined if a job of that name exists already. */
  async insertJob(job: JobRecord): Promise<JobRecord | undefined> {
    try {
      return (await withRetries(() => this.jobs.items.create<JobRecord>(job))).resource as JobRecord;
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  async replaceJob(job: JobRecord): Promise<JobRecord> {
    return this.replace(this.jobs, job, job.id, `job ${job.id}`);
  }

  /**
   * Read-modify-write of a job with etag retries. `change` returns the new job, or undefined to leave it.
   * Returns the job as stored afterwards (undefined if it does not exist).
   */
  async updateJob(
    name: string,
    change: (job: JobRecord) => JobRecord | undefined,
  ): Promise<JobRecord | undefined> {
    for (;;) {
      const job = await this.getJob(name);
      if (!job) return undefined;
      const updated = change(job);
      if (!updated) return job;
      try {
        return await this.replaceJob({ ...updated, lastUpdatedUtcTime: new Date().toISOString() });
      } catch (error) {
        if (!(error instanceof EtagConflict)) throw error;
      }
    }
  }

  async deleteJob(name: string): Promise<boolean> {
    for (const range of await this.listRanges(name)) {
      await withRetries(() => this.ranges.item(range.id, name).delete()).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
    try {
      await withRetries(() => this.jobs.item(name, name).delete());
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async listRanges(jobName: string): Promise<RangeRecord[]> {
    const { resources } = await withRetries(() =>
      this.ranges.items.query<RangeRecord>("SELECT * FROM c", { partitionKey: jobName }).fetchAll(),
    );
    return resources.sort((a, b) => a.minInclusive.localeCompare(b.minInclusive));
  }

  /** Creates the job's range documents once; concurrent callers agree on whoever wrote first. */
  async insertRanges(ranges: RangeRecord[]): Promise<void> {
    for (const range of ranges) {
      await withRetries(() => this.ranges.items.create(range)).catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
    }
  }

  async replaceRange(range: RangeRecord): Promise<RangeRecord> {
    return this.replace(this.ranges, range, range.jobName, `range ${range.id}`);
  }

  async getJobSlot(): Promise<JobSlot> {
    const slot = await this.read<JobSlot>(this.coordination, "job-slot", "job-slot");
    if (slot) return slot;
    await withRetries(() => this.coordination.items.create<JobSlot>({ id: "job-slot" })).catch(
      (error: unknown) => {
        if (!isConflict(error)) throw error;
      },
    );
    return (await this.read<JobSlot>(this.coordination, "job-slot", "job-slot")) as JobSlot;
  }

  async replaceJobSlot(slot: JobSlot): Promise<JobSlot> {
    return this.replace(this.coordination, slot, slot.id, "the job slot");
  }

  async beat(heartbeat: Omit<WorkerHeartbeat, "id">): Promise<void> {
    await withRetries(() =>
      this.coordination.items.upsert({ ...heartbeat, id: `${heartbeatPrefix}${heartbeat.workerId}` }),
    );
  }

  async removeHeartbeat(workerId: string): Promise<void> {
    const id = `${heartbeatPrefix}${workerId}`;
    await withRetries(() => this.coordination.item(id, id).delete()).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /** Workers whose heartbeat is younger than `within` milliseconds. */
  async liveWorkers(within: number): Promise<WorkerHeartbeat[]> {
    const { resources } = await withRetries(() =>
      this.coordination.items
        .query<WorkerHeartbeat>({
          query: "SELECT * FROM c WHERE STARTSWITH(c.id, @prefix) AND c.lastSeen > @since",
          parameters: [
            { name: "@prefix", value: heartbeatPrefix },
            { name: "@since", value: Date.now() - within },
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
