import type { EmulatorAdmin } from "../../emulator";
import type { ContainerStatistics } from "../../emulator/statistics";
import { stateDatabaseId } from "../../engine";

/**
 * cosmos-emulator's request statistics, per container, over one piece of work. The emulator records point
 * operations (reads and replaces of one item, as the engine's checkpoints are) under the item's own link, so
 * those keys are folded into the container they belong to.
 */
export type Usage = ContainerStatistics;

function containerLink(database: string, container: string): string {
  return `dbs/${database}/colls/${container}`;
}

export function usageByContainer(snapshot: Record<string, Usage>): Map<string, Usage> {
  const folded = new Map<string, Usage>();
  for (const [link, usage] of Object.entries(snapshot)) {
    const container = link.split("/").slice(0, 4).join("/");
    const sum = folded.get(container) ?? { requests: 0, throttled: 0, requestUnits: 0 };
    sum.requests += usage.requests;
    sum.throttled += usage.throttled;
    sum.requestUnits += usage.requestUnits;
    folded.set(container, sum);
  }
  return folded;
}

/** Runs `work` with the statistics reset first; the usage is undefined without cosmos-emulator's admin. */
export async function usageDuring<T>(
  admin: EmulatorAdmin | undefined,
  work: () => Promise<T>,
): Promise<{ result: T; usage?: Map<string, Usage> }> {
  await admin?.resetStatistics();
  const result = await work();
  return { result, usage: admin && usageByContainer(await admin.statistics()) };
}

export function usageOf(usage: Map<string, Usage>, database: string, container: string): Usage {
  return usage.get(containerLink(database, container)) ?? { requests: 0, throttled: 0, requestUnits: 0 };
}

/** Request units of every container of the engine's state database. */
export function stateRequestUnits(usage: Map<string, Usage>): number {
  const prefix = `dbs/${stateDatabaseId}/`;
  return [...usage].reduce((sum, [link, u]) => (link.startsWith(prefix) ? sum + u.requestUnits : sum), 0);
}

export function totalRequestUnits(usage: Map<string, Usage>): number {
  return [...usage.values()].reduce((sum, u) => sum + u.requestUnits, 0);
}
