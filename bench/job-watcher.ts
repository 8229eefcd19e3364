import type { CosmosClient, Item } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { stateDatabaseId, terminalStatuses, type JobRecord } from "../engine";

/**
 * Follows one job by reading its record straight from `__datatransferstate/jobs`, every 250 ms: the engine
 * copier times a job by the completion time it records, so polling less often loses no accuracy and loads
 * the endpoint it measures less. Straight, not through `CopyJobs.get`, so the bench knows to the request unit
 * what its own polling cost and can take it out of the state database's share: those reads are the bench's,
 * not the engine's.
 */
const pollIntervalMs = 250;
/** A read left unanswered this long is given up: the endpoint may be deep in one long request. */
const readTimeoutMs = 5_000;

export class JobWatcher {
  /** Request units the polling has spent so far. */
  requestUnits = 0;
  private readonly record: Item;

  constructor(client: CosmosClient, jobName: string) {
    this.record = client.database(stateDatabaseId).container("jobs").item(jobName, jobName);
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
      const response = await this.record.read<JobRecord>({ abortSignal: AbortSignal.timeout(readTimeoutMs) });
      this.requestUnits += response.requestCharge;
      return response.resource;
    } catch (error) {
      if ((error as Error).name === "AbortError") return undefined;
      throw error;
    }
  }
}
