import type { CosmosClient } from "@azure/cosmos";

/**
 * How responsive an endpoint stays while other work loads it: on a fixed interval, one metadata call (a
 * container read) and one point read of a small item, each timed from the client. A probe never overlaps
 * itself, so a stalled endpoint shows up as one long sample (and fewer samples), not as a pile-up.
 */
export interface LatencyTargets {
  database: string;
  container: string;
  itemId: string;
  partitionKey: string;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LatencyReport {
  metadata: LatencySummary;
  pointRead: LatencySummary;
  /** Probes that threw (timeouts, 5xx); their time still counts in the samples. */
  failures: number;
}

/** The value at quantile `q` (nearest rank) of the samples; 0 when there are none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export function summarize(samples: readonly number[]): LatencySummary {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    count: samples.length,
    p50Ms: round(percentile(samples, 0.5)),
    p99Ms: round(percentile(samples, 0.99)),
    maxMs: round(samples.reduce((max, ms) => Math.max(max, ms), 0)),
  };
}

export class LatencyProbe {
  private readonly metadataMs: number[] = [];
  private readonly pointReadMs: number[] = [];
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: CosmosClient,
    private readonly targets: LatencyTargets,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.probeOnce().finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  /** Stops probing, waits for a probe in flight, and summarizes every sample so far. */
  async stop(): Promise<LatencyReport> {
    clearInterval(this.timer);
    await this.running;
    return {
      metadata: summarize(this.metadataMs),
      pointRead: summarize(this.pointReadMs),
      failures: this.failures,
    };
  }

  private async probeOnce(): Promise<void> {
    const container = this.client.database(this.targets.database).container(this.targets.container);
    await this.time(this.metadataMs, () => container.read());
    await this.time(this.pointReadMs, () =>
      container.item(this.targets.itemId, this.targets.partitionKey).read(),
    );
  }

  private async time(samples: number[], call: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    try {
      await call();
    } catch {
      this.failures += 1;
    }
    samples.push(performance.now() - started);
  }
}
