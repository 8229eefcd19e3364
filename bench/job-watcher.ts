import type { CosmosClient, Item } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { stateDatabaseId, terminalStatuses, type JobRecord } from "../engine";
import type { JobControl } from "../engine/job-control";

/**
 * Follows one job by reading its record every 250 ms: the engine copier times a job by the completion time it
 * records, so polling less often loses no accuracy and loads the endpoint it measures less. In a NoSQL
 * account the record is read straight from `__datatransferstate/jobs`, not through `CopyJobs.get`, so the
 * bench knows to the request unit what its own polling cost and can take it out of the state database's
 * share: those reads are the bench's, not the engine's. A Cassandra cluster charges nothing, so its jobs are
 * read through their `JobControl`.
 */
const pollIntervalMs = 250;
/** A read left unanswered this long is given up: the endpoint may be deep in one long request. */
const readTimeoutMs = 5_000;

/** One read of the job's record (undefined when unanswered in time) and the request units it cost. */
type RecordRead = (signal: AbortSignal) => Promise<{ job: JobRecord | undefined; requestUnits: number }>;

export class JobWatcher {
  /** Request units the polling has spent so far. */
  requestUnits = 0;

  private constructor(private readonly readRecord: RecordRead) {}

  /** A job of a NoSQL account, read from its state container. */
  static inAccount(client: CosmosClient, jobName: string): JobWatcher {
    const record: Item = client.database(stateDatabaseId).container("jobs").item(jobName, jobName);
    return new JobWatcher(async (abortSignal) => {
      const response = await record.read<JobRecord>({ abortSignal });
      return { job: response.resource, requestUnits: response.requestCharge };
    });
  }

  /** A job read through its jobs' own `get` (a Cassandra cluster's). */
  static through(jobs: Pick<JobControl, "get">, jobName: string): JobWatcher {
    return new JobWatcher(async () => ({ job: await jobs.get(jobName), requestUnits: 0 }));
  }

  /**
   * Resolves with the job once `done` holds for it, or once it has ended (whichever comes first). `giveUp`
   * is asked at every poll, with the job as last read (undefined until a read has been answered); a reason
   * from it ends the wait with that reason as the error.
   */
  async until(
    done: (job: JobRecord) => boolean = () => false,
    giveUp: (job: JobRecord | undefined) => string | undefined = () => undefined,
  ): Promise<JobRecord> {
    let latest: JobRecord | undefined;
    for (;;) {
      const job = await this.read();
      if (job) {
        latest = job;
        if (done(job) || terminalStatuses.includes(job.status)) return job;
      }
      const reason = giveUp(latest);
      if (reason) throw new Error(reason);
      await sleep(pollIntervalMs);
    }
  }

  private async read(): Promise<JobRecord | undefined> {
    try {
      const { job, requestUnits } = await this.readRecord(AbortSignal.timeout(readTimeoutMs));
      this.requestUnits += requestUnits;
      return job;
    } catch (error) {
      if ((error as Error).name === "AbortError") return undefined;
      throw error;
    }
  }
}
