import type { CosmosClient, Item } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { stateDatabaseId, terminalStatuses, type JobRecord } from "../provider/engine";

/**
 * Follows one job by reading its record straight from `__datatransferstate/jobs`, every 100 ms. Straight,
 * not through `CopyJobs.get`, so the bench knows to the request unit what its own polling cost and can take
 * it out of the state database's share: those reads are the bench's, not the engine's.
 */
const pollIntervalMs = 100;

export class JobWatcher {
  /** Request units the polling has spent so far. */
  requestUnits = 0;
  private readonly record: Item;

  constructor(client: CosmosClient, jobName: string) {
    this.record = client.database(stateDatabaseId).container("jobs").item(jobName, jobName);
  }

  /**
   * Resolves with the job once `done` holds for it, or once it has ended (whichever comes first). `giveUp`
   * is asked at every poll; a reason from it ends the wait with that reason as the error.
   */
  async until(
    done: (job: JobRecord) => boolean = () => false,
    giveUp: (job: JobRecord) => string | undefined = () => undefined,
  ): Promise<JobRecord> {
    for (;;) {
      const response = await this.record.read<JobRecord>();
      this.requestUnits += response.requestCharge;
      const job = response.resource;
      if (job && (done(job) || terminalStatuses.includes(job.status))) return job;
      const reason = job && giveUp(job);
      if (reason) throw new Error(reason);
      await sleep(pollIntervalMs);
    }
  }
}
