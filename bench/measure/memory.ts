import { copyWithEngine, type EngineRun } from "../copiers/engine";
import { countItems } from "../dataset";
import type { Scenario } from "../scenario";
import { LatencyProbe, type LatencySummary } from "./endpoint-latency";

/**
 * The engine's memory on a large copy: one worker process copying `items` items, its peak RSS read from
 * /proc before it is stopped, and meanwhile how fast the endpoint still answers others: a latency probe on a
 * container of its own (one item) times metadata calls and point reads for as long as the copy runs. Its own
 * source, so the seeding scales with the size asked for; the target is counted by the bench, and
 * checksummed by the engine's own verification. The size is the caller's choice and may be more than the
 * endpoint can serve, so a copy that cannot run is reported, not fatal. Its job is left as it is: deleting
 * it would wait on an endpoint that may still be busy with it.
 */
export interface MemoryRun {
  items: number;
  seedSeconds: number;
  copied?: { engine: EngineRun; targetCount: number };
  failure?: string;
  /** The endpoint's latency for others during the copy, whether or not it completed. */
  latency: { metadata: LatencySummary; pointRead: LatencySummary };
}

export async function copyForMemory(scenario: Scenario, items: number): Promise<MemoryRun> {
  const seedStarted = performance.now();
  const source = await scenario.seed("memory-source", items);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const target = await scenario.target("memory-target");
  const probed = await scenario.seed("latency-probe", 1);
  const [item] = (await probed.items.readAll<{ id: string; pk: string }>().fetchAll()).resources;
  const probe = new LatencyProbe(scenario.bench.client, {
    database: scenario.database.id,
    container: probed.id,
    itemId: item.id,
    partitionKey: item.pk,
  });
  const spec = scenario.spec("bench-memory", target, source);
  probe.start();
  try {
    const engine = await copyWithEngine(scenario.bench, scenario.jobs, spec, 1);
    const latency = await probe.stop();
    return { items, seedSeconds, latency, copied: { engine, targetCount: await countItems(target) } };
  } catch (error) {
    const latency = await probe.stop();
    return { items, seedSeconds, latency, failure: error instanceof Error ? error.message : String(error) };
  }
}
