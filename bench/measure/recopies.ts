import { defaultCopyOptions, maxRecopiedItems, type Verification } from "../../engine";
import { writesTaken } from "../../test/support/worker-process";
import { JobWatcher } from "../job-watcher";
import type { Scenario } from "../scenario";
import { startWorkerProcess } from "../worker-process";

/**
 * A worker process killed with SIGKILL mid-copy and started again under the same id: how many items were
 * written twice. Counted from the target's own write sequence numbers (each write advances its partition's
 * LSN by one, and cosmos-emulator reports the LSN per partition key range), so nothing in the engine is
 * trusted to count. Undefined when the endpoint reports no LSNs, or every page was written before the kill.
 */
export interface RecopyRun {
  recopied: number;
  /** The engine's promise: at most the pages in flight of each feed range. */
  bound: number;
  processedAtKill: number;
  verification: Verification;
}

/** The target gets `ruPerSecond` so the copy lasts long enough for the kill to land mid-copy. */
export async function recopiesAfterKill(
  scenario: Scenario,
  ruPerSecond: number,
): Promise<RecopyRun | undefined> {
  const target = await scenario.target("engine-killed", ruPerSecond);
  if (Number.isNaN(await writesTaken(target))) return undefined;
  const spec = scenario.spec("bench-kill", target);
  await scenario.jobs.create(spec, { startWorker: false });
  const watcher = JobWatcher.inAccount(scenario.bench.client, spec.name);
  const workerId = `${spec.name}-crashy`;
  const first = startWorkerProcess(scenario.bench.connection, workerId);
  // Progress moves a page per range at a time, so the kill lands somewhere past a quarter of the copy.
  const atKill = await watcher.until((job) => job.processedCount >= scenario.items / 4);
  await first.kill();
  if (atKill.status === "Completed") return undefined;
  if (atKill.status !== "Running")
    throw new Error(`job ${atKill.name} ended ${atKill.status} before the kill`);
  // Restarted even when the kill came after the last page: a Running job without a worker would hold the
  // account's job slot and stall every later run.
  const second = startWorkerProcess(scenario.bench.connection, workerId);
  try {
    const job = await watcher.until();
    if (job.status !== "Completed") throw new Error(`job ${job.name} ended ${job.status} after the kill`);
  } finally {
    await second.stop();
  }
  if (atKill.processedCount >= scenario.items) return undefined;
  const pageSize = spec.options?.pageSize ?? defaultCopyOptions.pageSize;
  return {
    recopied: (await writesTaken(target)) - scenario.items,
    bound: maxRecopiedItems(pageSize, (await scenario.source.getFeedRanges()).length),
    processedAtKill: atKill.processedCount,
    verification: await scenario.verified(target),
  };
}
