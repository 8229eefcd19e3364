import type { Container } from "@azure/cosmos";
import type { Verification, VerificationMode } from "../engine";
import { copyWithEngine } from "./copiers/engine";
import { rawWriteConcurrency } from "./copiers/raw-writes";
import { runScript, type ScriptTask } from "./copiers/script-process";
import { tunedSettings } from "./copiers/tuned-bulk";
import { targetPartitionKeyPath } from "./dataset";
import { machineTicks } from "./measure/cpu-time";
import { progressDuring, type ProgressSample } from "./measure/progress";
import { usageDuring, usageOf, type Usage } from "./measure/request-units";
import type { Scenario } from "./scenario";

/**
 * The throughput comparison: the same source copied by (a) the naive script, (b) the tuned script and (c) the
 * engine with one and with two workers, each into a fresh unthrottled target, one after the other, and the
 * endpoint's raw write ceiling: the same items written from memory, with no reading at all.
 */
export interface Comparison {
  naive: CopierResult;
  tunedBulk: CopierResult;
  rawCeiling: CopierResult;
  engine: EngineResult;
  engineTwoWorkers: EngineResult;
}

export interface CopierResult {
  label: string;
  seconds: number;
  /** The bench's own check of the target afterwards. */
  verification: Verification;
  /** CPU seconds the copier's own process(es) used, read from /proc at their end. */
  clientCpuSeconds?: number;
  /** The target's requests during the copy (cosmos-emulator only). */
  targetUsage?: Usage;
  /** Share of the copy's wall time the local emulator's main thread was on a CPU. */
  emulatorBusy?: number;
  /** Share of all cores' time that was busy during the copy (everything on the machine). */
  machineBusy?: number;
  /** Writes and request units of the target over time (cosmos-emulator only). */
  progress?: ProgressSample[];
}

export interface EngineResult extends CopierResult {
  /** The job's own duration: from Running to verified Completed, without the workers' start-up. */
  jobSeconds: number;
  /** `create` before it: the preflight analysis reads the whole source. */
  createSeconds: number;
  /** How long the engine's closing verification took, by its own record, and which mode it ran. */
  checkSeconds: number;
  verificationMode: VerificationMode | undefined;
  processedByWorker: Record<string, number>;
}

type Log = (line: string) => void;
type Observations = Pick<CopierResult, "targetUsage" | "emulatorBusy" | "machineBusy" | "progress">;

/** Runs one copy into `target`, watching the target's requests and where the CPU went meanwhile. */
async function observed<T extends { seconds: number }>(
  scenario: Scenario,
  target: Container,
  copy: () => Promise<T>,
): Promise<{ result: T } & Observations> {
  const { bench } = scenario;
  const emulatorBefore = bench.emulatorCpuSeconds?.();
  const machineBefore = machineTicks();
  const { result: sampled, usage } = await usageDuring(bench.admin, () =>
    progressDuring(bench, target, copy),
  );
  const { result, progress } = sampled;
  const emulatorAfter = bench.emulatorCpuSeconds?.();
  const machineAfter = machineTicks();
  return {
    result,
    progress,
    targetUsage: usage && usageOf(usage, target.database.id, target.id),
    emulatorBusy:
      emulatorBefore === undefined || emulatorAfter === undefined
        ? undefined
        : (emulatorAfter - emulatorBefore) / result.seconds,
    machineBusy:
      machineBefore && machineAfter
        ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
        : undefined,
  };
}

async function script(scenario: Scenario, label: string, copier: ScriptTask["copier"], log: Log) {
  log(label);
  const target = await scenario.target(copier);
  const task: ScriptTask =
    copier === "raw-writes"
      ? { copier, sourceId: scenario.source.id, items: scenario.items, target: scenario.ref(target.id) }
      : {
          copier,
          source: scenario.ref(scenario.source.id),
          target: scenario.ref(target.id),
          targetPartitionKeyPath,
        };
  const { result, ...observations } = await observed(scenario, target, () => runScript(scenario.bench, task));
  return {
    label,
    seconds: result.seconds,
    clientCpuSeconds: result.cpuSeconds,
    verification: await scenario.verified(target),
    ...observations,
  };
}

async function engine(scenario: Scenario, label: string, workers: number, log: Log): Promise<EngineResult> {
  log(label);
  const target = await scenario.target(`engine-${workers}`);
  const spec = scenario.spec(`bench-engine-${workers}`, target);
  const { result, ...observations } = await observed(scenario, target, () =>
    copyWithEngine(scenario.bench, scenario.jobs, spec, workers),
  );
  const verification = await scenario.verified(target);
  return {
    label,
    seconds: result.seconds,
    jobSeconds: result.job.durationMs / 1000,
    createSeconds: result.createSeconds,
    checkSeconds: (result.job.verification?.durationMs ?? 0) / 1000,
    verificationMode: result.job.verification?.mode,
    processedByWorker: result.job.processedByWorker,
    clientCpuSeconds: result.workerCpuSeconds,
    verification,
    ...observations,
  };
}

export async function compareCopiers(scenario: Scenario, log: Log): Promise<Comparison> {
  const { pageSize, concurrency } = tunedSettings;
  return {
    naive: await script(scenario, "(a) naive: query, upsert one at a time", "naive", log),
    tunedBulk: await script(
      scenario,
      `(b) tuned script: executeBulkOperations, pages of ${pageSize}, ${concurrency} in flight`,
      "tuned-bulk",
      log,
    ),
    rawCeiling: await script(
      scenario,
      `raw write ceiling: items.bulk from memory, ${rawWriteConcurrency} calls in flight, no reads`,
      "raw-writes",
      log,
    ),
    engine: await engine(scenario, "(c) engine, 1 worker process", 1, log),
    engineTwoWorkers: await engine(scenario, "(c) engine, 2 worker processes", 2, log),
  };
}
