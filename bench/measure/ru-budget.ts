import type { Container } from "@azure/cosmos";
import type { Verification } from "../../engine";
import { copyWithEngine, type EngineRun } from "../copiers/engine";
import type { Scenario } from "../scenario";
import { progressDuring, type ProgressSample } from "./progress";
import { stateRequestUnits, totalRequestUnits, usageDuring, usageOf, type Usage } from "./request-units";

/**
 * The engine held to a rate: either a target with a fixed RU/s budget, or a roomier target and a job that
 * caps its own writes (`targetThroughputLimit`). Measured over the job's own duration (start to verified
 * completion): the RU/s the target was charged, against the rate that binds, how many of the target's
 * requests were throttled, and what share of all request units went to the state database (checkpoints,
 * leases, progress, heartbeats). The bench's own polling of the job record is taken out of the state
 * database's units. The RU figures need cosmos-emulator's statistics; elsewhere only the copy itself runs.
 */
export interface RatePlan {
  /** The target's name, and the job's. */
  name: string;
  /** RU/s provisioned on the target. */
  provisioned: number;
  /** RU/s the job caps its writes at; without one, the target's budget binds. */
  cap?: number;
  workers: number;
  /** Another source than the main one. */
  source?: Container;
}

export interface BudgetRun {
  plan: RatePlan;
  /** The rate that binds: the cap if the job has one, else the target's budget. */
  ruPerSecond: number;
  engine: EngineRun;
  verification: Verification;
  /** Request units the target was charged ÷ the job's duration. */
  ruPerSecondUsed?: number;
  /** `ruPerSecondUsed` ÷ the rate that binds. */
  ruUtilization?: number;
  /** Target requests answered 429 (a bulk request counts if any of its operations was) ÷ target requests. */
  throttledShare?: number;
  /** State database request units ÷ all request units of the copy. */
  checkpointRuShare?: number;
  target?: Usage;
  stateRequestUnits?: number;
  totalRequestUnits?: number;
  progress?: ProgressSample[];
}

export async function copyAtRate(scenario: Scenario, plan: RatePlan): Promise<BudgetRun> {
  const target = await scenario.target(plan.name, plan.provisioned);
  const spec = scenario.spec(`bench-${plan.name}`, target, plan.source);
  if (plan.cap !== undefined) spec.options = { targetThroughputLimit: { requestUnitsPerSecond: plan.cap } };
  const { result: sampled, usage } = await usageDuring(scenario.bench.admin, () =>
    progressDuring(scenario.bench, target, () =>
      copyWithEngine(scenario.bench, scenario.jobs, spec, plan.workers),
    ),
  );
  const { result: engine, progress } = sampled;
  const ruPerSecond = plan.cap ?? plan.provisioned;
  const verification = await scenario.verified(target, plan.source);
  if (!usage) return { plan, ruPerSecond, engine, verification };
  const targetUsage = usageOf(usage, target.database.id, target.id);
  const state = stateRequestUnits(usage) - engine.pollRequestUnits;
  const total = totalRequestUnits(usage) - engine.pollRequestUnits;
  const ruPerSecondUsed = targetUsage.requestUnits / (engine.job.durationMs / 1000);
  return {
    plan,
    ruPerSecond,
    engine,
    verification,
    ruPerSecondUsed,
    ruUtilization: ruPerSecondUsed / ruPerSecond,
    throttledShare: targetUsage.throttled / Math.max(1, targetUsage.requests),
    checkpointRuShare: state / total,
    target: targetUsage,
    stateRequestUnits: state,
    totalRequestUnits: total,
    progress,
  };
}
