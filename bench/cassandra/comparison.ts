import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { cassandraEnvironmentOf, cassandraVariables } from "../../engine/cassandra/connection";
import { CassandraStateStore } from "../../engine/cassandra/state-store";
import type { JobRecord } from "../../engine/types";
import { runWithWorkers } from "../copiers/engine";
import { runScriptProgram } from "../copiers/script-process";
import { JobWatcher } from "../job-watcher";
import { machineTicks } from "../measure/cpu-time";
import type { CassandraScenario, TableCheck } from "./scenario";
import type { TokenRangeCopyTask } from "./script-main";
import { concurrencyLevels, tunedReadSettings } from "./token-range-copy";

/**
 * The table comparison: the scenario's source copied into a fresh table keyed otherwise by (b) the tuned
 * `executeConcurrent` script, once per concurrency level in `concurrencyLevels` (the fastest is kept), then by
 * (c) the engine with one worker process, one copy after the other on the same node; all of it `runs` times,
 * as a machine shared with other work gives figures that vary from one minute to the next. Each copier is its
 * own process, timed from its launch; the bench then counts and checksums every target against the source.
 */
export interface TableCopyResult {
  label: string;
  seconds: number;
  /** The bench's own check of the target afterwards. */
  check: TableCheck;
  /** CPU seconds of the copier's own process, read at its end. */
  clientCpuSeconds?: number;
  /** The local node's CPU seconds during the copy ÷ its wall time: cores it kept busy. */
  nodeCores?: number;
  /** Share of all cores' time that was busy during the copy (everything on the machine). */
  machineBusy?: number;
}

export interface TableScriptResult extends TableCopyResult {
  concurrencyLevel: number;
}

export interface TableEngineResult extends TableCopyResult {
  job: JobRecord;
  /** From the worker's launch to the job running: its start-up, then counting the source's rows. */
  startSeconds: number;
  /** From the job running to its closing verification's start: the rows copied and checkpointed. */
  copySeconds: number;
  /** The closing verification by the job's own record: both tables read whole. */
  verificationSeconds: number;
  peakRssMb?: number;
  /** Workers other than the bench's that took part (another run's on a shared cluster); none is expected. */
  foreignWorkers: string[];
}

/** One round: the script at every concurrency level, then the engine. */
export interface TableRun {
  sweep: TableScriptResult[];
  /** The fastest of `sweep`. */
  tuned: TableScriptResult;
  engine: TableEngineResult;
  date: string;
  loadAtStart: number;
  loadAtEnd: number;
}

export interface CassandraComparison {
  cluster: string;
  rows: number;
  seedSeconds: number;
  runs: TableRun[];
}

type Log = (line: string) => void;
type Observations = Pick<TableCopyResult, "nodeCores" | "machineBusy">;

/** Runs one copy, noting where the CPU went meanwhile. */
async function observed<T extends { seconds: number }>(
  scenario: CassandraScenario,
  copy: () => Promise<T>,
): Promise<{ result: T } & Observations> {
  const nodeBefore = scenario.cluster.nodeCpuSeconds?.();
  const machineBefore = machineTicks();
  const result = await copy();
  const nodeAfter = scenario.cluster.nodeCpuSeconds?.();
  const machineAfter = machineTicks();
  return {
    result,
    nodeCores:
      nodeBefore === undefined || nodeAfter === undefined
        ? undefined
        : (nodeAfter - nodeBefore) / result.seconds,
    machineBusy:
      machineBefore && machineAfter
        ? (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
        : undefined,
  };
}

const scriptMain = path.join(__dirname, "script-main.js");

async function script(scenario: CassandraScenario, run: number, concurrencyLevel: number, log: Log) {
  const { ranges, rangesInFlight, fetchSize } = tunedReadSettings;
  const label = `(b) tuned script: ${ranges} token ranges, ${rangesInFlight} at once, pages of ${fetchSize}, executeConcurrent ${concurrencyLevel}`;
  log(label);
  const target = await scenario.target(`script_${run}_${concurrencyLevel}`);
  const task: TokenRangeCopyTask = {
    keyspace: scenario.keyspace,
    source: "source",
    target,
    settings: { ...tunedReadSettings, concurrencyLevel },
  };
  // Only the scenario's cluster reaches the script: whatever CASSANDRA_* this process inherited goes.
  const environment = {
    ...Object.fromEntries(Object.values(cassandraVariables).map((name) => [name, undefined])),
    ...cassandraEnvironmentOf(scenario.cluster.connection),
  };
  const { result, ...observations } = await observed(scenario, () =>
    runScriptProgram(scriptMain, task, environment),
  );
  return {
    label,
    concurrencyLevel,
    seconds: result.seconds,
    clientCpuSeconds: result.cpuSeconds,
    check: await scenario.check(target),
    ...observations,
  };
}

/** How long the bench waits for other runs' jobs and workers to leave the shared cluster. */
const quietTimeoutMs = 10 * 60_000;

/**
 * Jobs of one cluster run one at a time and any live worker joins the running one, so the engine is timed
 * only once no other job is queued or running and no other worker is alive (tests on a shared node start
 * some). After `quietTimeoutMs` the run goes ahead; workers that joined it are named in the result.
 */
async function waitForQuietCluster(scenario: CassandraScenario, log: Log): Promise<void> {
  const store = await CassandraStateStore.open(scenario.cluster.client);
  const deadline = Date.now() + quietTimeoutMs;
  for (let said = ""; ;) {
    const jobs = (await store.listJobs()).filter(
      (job) => job.status === "Running" || job.status === "Pending",
    );
    const workers = await store.liveWorkers(Date.now() - 15_000);
    if (jobs.length === 0 && workers.length === 0) return;
    const busy = `${jobs.map((job) => `job ${job.name} (${job.status})`).join(", ")} ${workers.map((w) => `worker ${w.workerId}`).join(", ")}`;
    if (Date.now() > deadline) {
      log(`the cluster is still busy (${busy}); timing the engine anyway`);
      return;
    }
    if (busy !== said) log(`waiting for the shared cluster to be quiet: ${busy}`);
    said = busy;
    await sleep(2_000);
  }
}

/** Engine runs a busy shared cluster may take: one joined by another run's worker is timed again. */
const engineAttempts = 3;

async function engineOnce(
  scenario: CassandraScenario,
  run: number,
  attempt: number,
  log: Log,
): Promise<TableEngineResult> {
  const label = "(c) engine, 1 worker process";
  const target = await scenario.target(`engine_${run}_${attempt}`);
  const spec = scenario.spec(`engine-${run}-${attempt}`, target);
  await waitForQuietCluster(scenario, log);
  log(label);
  const { result, ...observations } = await observed(scenario, () =>
    runWithWorkers(
      {
        name: spec.name,
        home: scenario.cluster.connection,
        create: () => scenario.jobs.create(spec, { startWorker: false }),
        watcher: JobWatcher.through(scenario.jobs, spec.name),
      },
      1,
    ),
  );
  const { job } = result;
  const completedAt = Date.parse(job.completedAt ?? "");
  const verificationMs = job.verification?.durationMs ?? 0;
  const runningAt = Date.parse(job.startedAt ?? "");
  const taking = new Set([...Object.keys(job.processedByWorker), job.verifyingWorker ?? ""]);
  return {
    label,
    seconds: result.seconds,
    job,
    startSeconds: (runningAt - result.launchedAt) / 1000,
    copySeconds: (completedAt - verificationMs - runningAt) / 1000,
    verificationSeconds: verificationMs / 1000,
    peakRssMb: result.workerPeakRssMb,
    clientCpuSeconds: result.workerCpuSeconds,
    foreignWorkers: [...taking].filter((id) => id !== "" && !result.workerIds.includes(id)),
    check: await scenario.check(target),
    ...observations,
  };
}

async function engine(scenario: CassandraScenario, run: number, log: Log): Promise<TableEngineResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await engineOnce(scenario, run, attempt, log);
    if (result.foreignWorkers.length === 0 || attempt === engineAttempts) return result;
    log(
      `workers of another run joined the engine's job (${result.foreignWorkers.join(", ")}): timing it again`,
    );
  }
}

async function tableRun(scenario: CassandraScenario, run: number, log: Log): Promise<TableRun> {
  const date = new Date().toISOString();
  const loadAtStart = os.loadavg()[0];
  const sweep: TableScriptResult[] = [];
  for (const level of concurrencyLevels) sweep.push(await script(scenario, run, level, log));
  const rate = (result: TableCopyResult) => result.check.sourceRows / result.seconds;
  const tuned = sweep.reduce((best, result) => (rate(result) > rate(best) ? result : best));
  const engineResult = await engine(scenario, run, log);
  return { sweep, tuned, engine: engineResult, date, loadAtStart, loadAtEnd: os.loadavg()[0] };
}

export async function compareTableCopiers(
  scenario: CassandraScenario,
  runs: number,
  log: Log,
): Promise<CassandraComparison> {
  const results: TableRun[] = [];
  for (let run = 1; run <= runs; run++) {
    log(`Cassandra tables: run ${run} of ${runs}`);
    results.push(await tableRun(scenario, run, log));
  }
  return {
    cluster: scenario.cluster.description,
    rows: scenario.rows,
    seedSeconds: scenario.seedSeconds,
    runs: results,
  };
}
