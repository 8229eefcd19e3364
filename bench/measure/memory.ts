import { copyWithEngine, type EngineRun } from "../copiers/engine";
import { countItems } from "../dataset";
import type { Scenario } from "../scenario";

/**
 * The engine's memory on a large copy: one worker process copying `items` items, its peak RSS read from
 * /proc before it is stopped. Its own source, so the seeding scales with the size asked for; the target is
 * counted by the bench, and checksummed by the engine's own verification. The size is the caller's choice
 * and may be more than the endpoint can serve, so a copy that cannot run is reported, not fatal. Its job is
 * left as it is: deleting it would wait on an endpoint that may still be busy with it.
 */
export interface MemoryRun {
  items: number;
  seedSeconds: number;
  copied?: { engine: EngineRun; targetCount: number };
  failure?: string;
}

export async function copyForMemory(scenario: Scenario, items: number): Promise<MemoryRun> {
  const seedStarted = performance.now();
  const source = await scenario.seed("memory-source", items);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const target = await scenario.target("memory-target");
  const spec = scenario.spec("bench-memory", target, source);
  try {
    const engine = await copyWithEngine(scenario.bench, scenario.jobs, spec, 1);
    return { items, seedSeconds, copied: { engine, targetCount: await countItems(target) } };
  } catch (error) {
    return { items, seedSeconds, failure: error instanceof Error ? error.message : String(error) };
  }
}
