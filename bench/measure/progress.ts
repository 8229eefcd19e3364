import type { Container } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { writesTaken } from "../../test/support/worker-process";
import type { BenchEndpoint } from "../endpoint";
import { usageByContainer, usageOf } from "./request-units";

/**
 * A copy's progress over time, for the chart: every second, the writes its target has taken (the sum of its
 * partitions' LSNs, so every copier is counted the same way, by the endpoint rather than by itself) and the
 * request units it has been charged (cosmos-emulator's statistics). Both are cumulative from the start of the
 * copy. cosmos-emulator only: elsewhere there are no LSNs or statistics, and no samples.
 */
export interface ProgressSample {
  seconds: number;
  writes: number;
  requestUnits: number;
}

const sampleIntervalMs = 1000;

export async function progressDuring<T>(
  bench: BenchEndpoint,
  target: Container,
  work: () => Promise<T>,
): Promise<{ result: T; progress?: ProgressSample[] }> {
  const admin = bench.admin;
  if (!admin) return { result: await work() };
  const read = async () => {
    const [writes, statistics] = await Promise.all([writesTaken(target), admin.statistics()]);
    const usage = usageOf(usageByContainer(statistics), target.database.id, target.id);
    return { writes, requestUnits: usage.requestUnits };
  };
  const baseline = await read();
  const started = performance.now();
  const progress: ProgressSample[] = [{ seconds: 0, writes: 0, requestUnits: 0 }];
  let done = false;
  // Not awaited at the end: a read stuck in a stalled endpoint must not hold up the run. It never rejects: a
  // failed read is caught, and the sleep has no signal to abort it.
  void (async () => {
    while (!done) {
      await sleep(sampleIntervalMs);
      // A sample the endpoint is too busy to answer is left out; the chart draws across the gap.
      const now = await read().catch(() => undefined);
      if (now && !done) {
        progress.push({
          seconds: (performance.now() - started) / 1000,
          writes: now.writes - baseline.writes,
          requestUnits: now.requestUnits - baseline.requestUnits,
        });
      }
    }
  })();
  try {
    return { result: await work(), progress };
  } finally {
    done = true;
  }
}
