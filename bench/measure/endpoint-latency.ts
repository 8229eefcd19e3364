import type { CosmosClient } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * How the endpoint answers everyone else while a copy runs: a probe that, every quarter second, times one
 * metadata call (reading the probe container's definition) and one point read of a known item through the
 * SDK, one after the other, and summarises each. A call that fails is timed all the same: a caller would
 * have waited that long too.
 */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const probeIntervalMs = 250;

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: number[], share: number): number {
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)];
}

function summarize(timesMs: number[]): LatencySummary {
  const sorted = [...timesMs].sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
  };
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await call().catch(() => undefined);
  return performance.now() - started;
}

export class LatencyProbe {
  private readonly metadataMs: number[] = [];
  private readonly pointReadMs: number[] = [];
  private stopping = false;
  private probing?: Promise<void>;

  constructor(
    private readonly client: CosmosClient,
    private readonly target: { database: string; container: string; itemId: string; partitionKey: string },
  ) {}

  start(): void {
    this.probing ??= this.probe();
  }

  /** Ends the probing once the calls in flight are answered; the summaries cover every call made. */
  async stop(): Promise<{ metadata: LatencySummary; pointRead: LatencySummary }> {
    this.stopping = true;
    await this.probing;
    return { metadata: summarize(this.metadataMs), pointRead: summarize(this.pointReadMs) };
  }

  private async probe(): Promise<void> {
    const container = this.client.database(this.target.database).container(this.target.container);
    const item = container.item(this.target.itemId, this.target.partitionKey);
    while (!this.stopping) {
      this.metadataMs.push(await timed(() => container.read()));
      this.pointReadMs.push(await timed(() => item.read()));
      await sleep(probeIntervalMs);
    }
  }
}
