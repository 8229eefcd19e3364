import type { Verification } from "../../engine";
import { copyWithEngine, type EngineRun } from "../copiers/engine";
import type { Scenario } from "../scenario";
import { stateRequestUnits, totalRequestUnits, usageDuring, usageOf, type Usage } from "./request-units";

/**
 * The engine against a target with a fixed RU/s budget: how much of the budget it used over the job's own
 * duration (start to verified completion), how many of the target's requests were throttled, and what share
 * of all request units went to the state database (checkpoints, leases, progress, heartbeats). The bench's
 * own polling of the job record is taken out of the state database's units. The RU figures need
 * cosmos-emulator's statistics; elsewhere only the copy itself runs.
 */
export interface BudgetRun {
  ruPerSecond: number;
  engine: EngineRun;
  verification: Verification;
  /** Request units the target was charged ÷ (budget × the job's duration). */
  ruUtilization?: number;
  /** Target requests answered 429 (a bulk request counts if any of its operations was) ÷ target requests. */
  throttledShare?: number;
  /** State database request units ÷ all request units of the copy. */
  checkpointRuShare?: number;
  target?: Usage;
  stateRequestUnits?: number;
  totalRequestUnits?: number;
}

export async function copyAtBudget(scenario: Scenario, ruPerSecond: number): Promise<BudgetRun> {
  const target = await scenario.target("engine-budget", ruPerSecond);
  const spec = scenario.spec("bench-budget", target);
  const { result: engine, usage } = await usageDuring(scenario.bench.admin, () =>
    copyWithEngine(scenario.bench, scenario.jobs, spec, 1),
  );
  const verification = await scenario.verified(target);
  if (!usage) return { ruPerSecond, engine, verification };
  const targetUsage = usageOf(usage, target.database.id, target.id);
  const state = stateRequestUnits(usage) - engine.pollRequestUnits;
  const total = totalRequestUnits(usage) - engine.pollRequestUnits;
  return {
    ruPerSecond,
    engine,
    verification,
    ruUtilization: targetUsage.requestUnits / (ruPerSecond * (engine.job.durationMs / 1000)),
    throttledShare: targetUsage.throttled / Math.max(1, targetUsage.requests),
    checkpointRuShare: state / total,
    target: targetUsage,
    stateRequestUnits: state,
    totalRequestUnits: total,
  };
}
