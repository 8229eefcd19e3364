import { EtagConflict, type StateStore } from "./state-store";
import type { JobRecord } from "./types";

/**
 * Jobs in one account run one at a time, in creation order. The slot document names the job that runs; a
 * worker that finds it free (or naming a job that has ended or been paused) hands it to the oldest Pending
 * job with a conditional write, so two workers racing agree on one winner.
 */
export async function claimRunningJob(
  store: StateStore,
  startRunning: (job: JobRecord) => Promise<JobRecord | undefined>,
): Promise<JobRecord | undefined> {
  for (;;) {
    const slot = await store.getJobSlot();
    const holder = slot.runningJob ? await store.getJob(slot.runningJob) : undefined;
    if (holder?.status === "Running") return holder;
    if (holder?.status === "Pending") return startRunning(holder);

    const next = (await store.listJobs()).find((job) => job.status === "Pending");
    if (!next && !slot.runningJob) return undefined;
    try {
      await store.replaceJobSlot({ ...slot, runningJob: next?.name });
    } catch (error) {
      if (error instanceof EtagConflict) continue;
      throw error;
    }
    if (!next) return undefined;
    return startRunning(next);
  }
}

/** Frees the slot if `jobName` holds it, so the next Pending job can start without waiting. */
export async function releaseJobSlot(store: StateStore, jobName: string): Promise<void> {
  for (;;) {
    const slot = await store.getJobSlot();
    if (slot.runningJob !== jobName) return;
    try {
      await store.replaceJobSlot({ ...slot, runningJob: undefined });
      return;
    } catch (error) {
      if (!(error instanceof EtagConflict)) throw error;
    }
  }
}
