import type { Verification } from "../engine";
import type { Comparison, CopierResult } from "./comparison";
import { rawWriteConcurrency } from "./copiers/raw-writes";
import type { BulkSettings } from "./copiers/tuned-bulk";
import type { BudgetRun } from "./measure/ru-budget";
import type { ControlPlaneTimes } from "./measure/control-plane";
import type { Machine } from "./measure/machine";
import type { LatencySummary } from "./measure/endpoint-latency";
import type { MemoryRun } from "./measure/memory";
import type { OnlineRun } from "./measure/online";
import type { RecopyRun } from "./measure/recopies";
import { percent, round, table } from "./report-format";
import { chartFileName } from "./results-file";

/**
 * Everything one run measured, turned into the figures the issue asks for: a table for people, one JSON line
 * for machines (always the last line printed), and bench/RESULTS.md. Figures are computed here only, from
 * the measurements, so the table, the JSON and the file cannot disagree.
 */
/** What the runs measured; a phase that could not run is absent, and its reason is in `failures`. */
export interface Measurements extends Comparison {
  budget?: BudgetRun;
  budgetTwoWorkers?: BudgetRun;
  cap?: BudgetRun;
  recopy?: RecopyRun;
  online?: OnlineRun;
  memory?: MemoryRun;
  controlPlane?: ControlPlaneTimes;
  failures: Record<string, string>;
}

/** The measurements and what they were measured on. */
export interface BenchResults extends Measurements {
  machine: Machine;
  revision: string;
  endpoint: string;
  command: string;
  itemBytes: number;
  tunedSettings: BulkSettings;
}

export type Figures = Record<string, number | null>;

const perSecond = (result: CopierResult) => result.verification.sourceCount / result.seconds;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function lost(verification: Verification): number {
  return Math.max(0, verification.sourceCount - verification.targetCount);
}

/** Client CPU seconds per 1,000 items copied. */
function cpuPerThousand(result: CopierResult): number | undefined {
  return result.clientCpuSeconds === undefined
    ? undefined
    : (result.clientCpuSeconds / result.verification.sourceCount) * 1000;
}

/** The smallest of `workers` workers' shares of the items (a worker that copied nothing has share 0). */
function smallestShare(processedByWorker: Record<string, number>, workers: number): number {
  const counts = Object.values(processedByWorker);
  const total = counts.reduce((sum, n) => sum + n, 0);
  return counts.length < workers || total === 0 ? 0 : Math.min(...counts) / total;
}

/** The online run's rates: the application's changes/s, and the engine's while the application wrote. */
function onlineRates(online: OnlineRun): { write: number; apply?: number } {
  const { created, replaced, deleted } = online.written;
  const write = (created + replaced + deleted) / online.writeSeconds;
  return { write, apply: online.applied && online.applied.changes / online.applied.seconds };
}

export function figuresOf(results: BenchResults): Figures {
  const { naive, tunedBulk, rawCeiling, engine, engineTwoWorkers, memory, controlPlane } = results;
  const { budget, budgetTwoWorkers, cap, recopy, online } = results;
  const verifications = [
    naive,
    tunedBulk,
    rawCeiling,
    engine,
    engineTwoWorkers,
    ...[budget, budgetTwoWorkers, cap, recopy, online].filter((run) => run !== undefined),
  ].map((r) => r.verification);
  const copied = memory?.copied;
  const memoryLost = memory?.copied ? Math.max(0, memory.items - memory.copied.targetCount) : 0;
  const memoryMismatch = copied && copied.engine.job.verification?.matched !== true ? 1 : 0;
  const onlineMismatch = online && online.job.verification?.matched !== true ? 1 : 0;
  const rates = online && onlineRates(online);
  const twoWorkerShare = budgetTwoWorkers && smallestShare(budgetTwoWorkers.engine.job.processedByWorker, 2);
  return {
    items: naive.verification.sourceCount,
    item_bytes: results.itemBytes,
    naive_items_per_s: round(perSecond(naive), 0),
    bulk_items_per_s: round(perSecond(tunedBulk), 0),
    raw_ceiling_items_per_s: round(perSecond(rawCeiling), 0),
    engine_items_per_s: round(perSecond(engine), 0),
    engine_job_items_per_s: round(engine.verification.sourceCount / engine.jobSeconds, 0),
    engine_2_workers_items_per_s: round(perSecond(engineTwoWorkers), 0),
    ratio_vs_naive: round(perSecond(engine) / perSecond(naive), 2),
    ratio_vs_bulk: round(perSecond(engine) / perSecond(tunedBulk), 2),
    ratio_vs_raw_ceiling: round(perSecond(engine) / perSecond(rawCeiling), 2),
    engine_cpu_s_per_1k_items: round(cpuPerThousand(engine), 3),
    engine_2_workers_cpu_s_per_1k_items: round(cpuPerThousand(engineTwoWorkers), 3),
    bulk_cpu_s_per_1k_items: round(cpuPerThousand(tunedBulk), 3),
    naive_cpu_s_per_1k_items: round(cpuPerThousand(naive), 3),
    budget_ru_per_s: budget?.ruPerSecond ?? null,
    budget_items_per_s: budget ? round(budget.verification.sourceCount / budget.engine.seconds, 0) : null,
    ru_utilization: round(budget?.ruUtilization, 3),
    throttled_share: round(budget?.throttledShare, 4),
    checkpoint_ru_share: round(budget?.checkpointRuShare, 4),
    budget_2_workers_smallest_share: round(twoWorkerShare, 3),
    budget_2_workers_largest_share: twoWorkerShare === undefined ? null : round(1 - twoWorkerShare, 3),
    budget_2_workers_wall_ratio:
      budget && budgetTwoWorkers ? round(budgetTwoWorkers.engine.seconds / budget.engine.seconds, 3) : null,
    budget_2_workers_ru_utilization: round(budgetTwoWorkers?.ruUtilization, 3),
    cap_ru_per_s: cap?.ruPerSecond ?? null,
    cap_ru_per_s_used: round(cap?.ruPerSecondUsed, 0),
    cap_ratio: round(cap?.ruUtilization, 3),
    items_lost: verifications.reduce((sum, v) => sum + lost(v), 0) + memoryLost,
    verification_failures: verifications.filter((v) => !v.matched).length + memoryMismatch + onlineMismatch,
    memory_items: memory?.items ?? null,
    peak_rss_mb: round(copied?.engine.workerPeakRssMb, 1),
    memory_items_per_s: memory?.copied ? round(memory.items / memory.copied.engine.seconds, 0) : null,
    metadata_p99_ms: round(memory?.latency.metadata.p99Ms, 1),
    point_read_p99_ms: round(memory?.latency.pointRead.p99Ms, 1),
    recopied_after_kill: recopy?.recopied ?? null,
    recopy_bound: recopy?.bound ?? null,
    online_items: online?.plan.items ?? null,
    online_write_changes_per_s: round(rates?.write, 0),
    online_apply_changes_per_s: round(rates?.apply, 0),
    online_apply_ratio: rates?.apply === undefined ? null : round(rates.apply / rates.write, 3),
    online_max_lag_changes: online?.maxLag.changes ?? null,
    online_max_lag_s: online?.maxLag.seconds ?? null,
    online_cutover_s: round(online?.cutoverSeconds, 2),
    preview_s: controlPlane ? round(median(controlPlane.previewSeconds), 2) : null,
    refresh_s: controlPlane ? round(median(controlPlane.refreshSeconds), 2) : null,
    phases_not_run: Object.keys(results.failures).length,
    load_at_start: round(results.machine.loadAtStart, 2),
    load_at_end: round(results.machine.loadAtEnd, 2),
  };
}

/** Each target of the issue: the figure, how it must compare, and the bound. */
const targets: {
  key: string;
  label: string;
  holds: (value: number, figures: Figures) => boolean;
  bound: string;
}[] = [
  { key: "ratio_vs_naive", label: "engine ÷ naive", holds: (v) => v >= 3, bound: "≥ 3" },
  { key: "ratio_vs_bulk", label: "engine ÷ tuned bulk", holds: (v) => v >= 1, bound: "≥ 1.0" },
  {
    key: "ratio_vs_raw_ceiling",
    label: "engine ÷ raw write ceiling",
    holds: (v) => v >= 0.9,
    bound: "≥ 0.9",
  },
  { key: "ru_utilization", label: "RU/s used ÷ budget", holds: (v) => v >= 0.95, bound: "≥ 0.95" },
  { key: "throttled_share", label: "target requests throttled", holds: (v) => v <= 0.02, bound: "≤ 0.02" },
  {
    key: "cap_ratio",
    label: "RU/s used ÷ job's RU/s cap",
    holds: (v) => v >= 0.95 && v <= 1.05,
    bound: "1 ± 0.05",
  },
  {
    key: "budget_2_workers_smallest_share",
    label: "2 workers at budget: each one's share",
    holds: (v) => v >= 0.4,
    bound: "40–60 %",
  },
  {
    key: "budget_2_workers_wall_ratio",
    label: "2 workers' wall time ÷ 1 worker's",
    holds: (v) => v <= 1,
    bound: "≤ 1.0",
  },
  { key: "items_lost", label: "items lost (all copies)", holds: (v) => v === 0, bound: "= 0" },
  { key: "peak_rss_mb", label: "engine worker peak RSS (MB)", holds: (v) => v < 250, bound: "< 250" },
  {
    key: "metadata_p99_ms",
    label: "metadata call p99 during it (ms)",
    holds: (v) => v < 100,
    bound: "< 100",
  },
  { key: "point_read_p99_ms", label: "point read p99 during it (ms)", holds: (v) => v < 100, bound: "< 100" },
  { key: "checkpoint_ru_share", label: "state RU ÷ all RU", holds: (v) => v <= 0.01, bound: "≤ 0.01" },
  {
    key: "recopied_after_kill",
    label: "items re-copied after SIGKILL",
    holds: (v, f) => f.recopy_bound !== null && v <= f.recopy_bound,
    bound: "≤ pages in flight × ranges",
  },
  { key: "preview_s", label: "pulumi preview (s, median)", holds: (v) => v <= 2, bound: "≤ 2" },
  { key: "refresh_s", label: "pulumi refresh (s, median)", holds: (v) => v <= 2, bound: "≤ 2" },
];

function copierRow(result: CopierResult): string[] {
  const v = result.verification;
  const usage = result.targetUsage;
  return [
    result.label,
    String(v.sourceCount),
    result.seconds.toFixed(1),
    perSecond(result).toFixed(0),
    usage ? `${usage.requests} (${usage.throttled})` : "n/a",
    cpuPerThousand(result)?.toFixed(3) ?? "n/a",
    percent(result.emulatorBusy),
    percent(result.machineBusy),
    `${v.targetCount}/${v.sourceCount}, checksum ${v.matched ? "equal" : "DIFFERS"}`,
  ];
}

const show = (value: number | null) => (value === null ? "none" : String(value));
const secondsOf = (values: number[]) => `${values.map((v) => v.toFixed(2)).join(", ")} s`;

function engineDetail({ engine }: BenchResults): string {
  const waited = engine.seconds - engine.jobSeconds;
  const copying = engine.verification.sourceCount / (engine.jobSeconds - engine.checkSeconds);
  return (
    `engine (1 worker): ${engine.seconds.toFixed(1)} s = ${waited.toFixed(1)} s until the job ran + ` +
    `${engine.jobSeconds.toFixed(1)} s of job, whose closing verification (${engine.verificationMode ?? "none"}) took ` +
    `${engine.checkSeconds.toFixed(2)} s: about ${copying.toFixed(0)} items/s while copying; before that, create ` +
    `(its preflight analysis reads the whole source) took ${engine.createSeconds.toFixed(1)} s`
  );
}

function rateDetail(name: string, run: BudgetRun | undefined): string {
  if (!run) return `${name}: did not run (see below)`;
  const { plan, engine } = run;
  const held =
    plan.cap === undefined
      ? `${plan.provisioned} RU/s target`
      : `${plan.provisioned} RU/s target, job capped at ${plan.cap} RU/s`;
  const items = run.verification.sourceCount;
  const summary = `${name}: ${held}, ${plan.workers} worker(s), ${items} items in ${engine.seconds.toFixed(1)} s (${(items / engine.seconds).toFixed(0)} items/s), job ${(engine.job.durationMs / 1000).toFixed(1)} s`;
  if (!run.target)
    return `${summary}; RU figures skipped: the endpoint has no cosmos-emulator request statistics`;
  return (
    `${summary}, target charged ${Math.round(run.target.requestUnits)} RU (${Math.round(run.ruPerSecondUsed ?? 0)} RU/s) in ` +
    `${run.target.requests} requests (${run.target.throttled} throttled); state database ${Math.round(run.stateRequestUnits ?? 0)} of ` +
    `${Math.round(run.totalRequestUnits ?? 0)} RU; items per worker ${JSON.stringify(engine.job.processedByWorker)}`
  );
}

function recopyDetail({ recopy }: BenchResults): string {
  if (!recopy)
    return "kill run: no figure, it did not run, the endpoint reports no partition LSNs, or every page was written before the kill";
  return `kill run: SIGKILL at ${recopy.processedAtKill} items recorded, ${recopy.recopied} items written twice (bound ${recopy.bound})`;
}

function onlineDetail({ online }: BenchResults): string {
  if (!online) return "online run: skipped or did not run";
  const { plan, written, applied, maxLag, job, verification: v } = online;
  const total = written.created + written.replaced + written.deleted;
  const rates = onlineRates(online);
  const apply = applied
    ? `the engine applied ${applied.changes} in the first ${applied.seconds.toFixed(1)} s of them (by its record's ` +
      `update time), ${rates.apply?.toFixed(0)} changes/s (apply ÷ write ${((rates.apply ?? 0) / rates.write).toFixed(3)})`
    : "the engine recorded no progress while the application wrote";
  const check = job.verification;
  return (
    `online run: ${plan.items} items, 1 worker; the application wrote ${online.writeSeconds.toFixed(1)} s with ` +
    `${plan.inFlight} operations in flight: ${total} changes (${written.created} created, ${written.replaced} replaced, ` +
    `${written.deleted} deleted), ${rates.write.toFixed(0)} changes/s; ${apply}; largest lag recorded ` +
    `${maxLag.changes} changes, ${maxLag.seconds} s; cutover (writes stopped, complete, until Completed) ` +
    `${online.cutoverSeconds.toFixed(2)} s, of which closing verification (${check?.mode ?? "none"}) ` +
    `${((check?.durationMs ?? 0) / 1000).toFixed(2)} s; ${online.appliedInAll} changes applied in all; engine ` +
    `verification ${check?.matched ? "matched" : "DID NOT match"}; bench: ${v.targetCount}/${v.sourceCount}, ` +
    `checksum ${v.matched ? "equal" : "DIFFERS"}`
  );
}

function latencyDetail(name: string, { count, p50Ms, p99Ms, maxMs }: LatencySummary): string {
  return `${name} ${count} calls, p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms, max ${maxMs.toFixed(1)} ms`;
}

function memoryDetail({ memory }: BenchResults): string {
  if (!memory) return "memory run: skipped or did not run";
  const seeded = `memory run: ${memory.items} items seeded in ${memory.seedSeconds.toFixed(0)} s`;
  const latency = `endpoint meanwhile: ${latencyDetail("metadata", memory.latency.metadata)}; ${latencyDetail("point reads", memory.latency.pointRead)}`;
  if (!memory.copied) return `${seeded}; the copy could not run: ${memory.failure}; ${latency}`;
  const { engine, targetCount } = memory.copied;
  const waited = engine.seconds - engine.job.durationMs / 1000;
  return (
    `${seeded}, copied in ${engine.seconds.toFixed(0)} s (${waited.toFixed(0)} s of it until the job ran), ` +
    `target holds ${targetCount}, engine verification ${engine.job.verification?.matched ? "matched" : "DID NOT match"}; ${latency}`
  );
}

function controlPlaneDetail({ controlPlane }: BenchResults): string {
  if (!controlPlane) return "control plane: skipped";
  return `pulumi preview: ${secondsOf(controlPlane.previewSeconds)}; refresh: ${secondsOf(controlPlane.refreshSeconds)}`;
}

export function renderTable(results: BenchResults, figures: Figures): string {
  const copies = table(
    [
      "copier",
      "items",
      "seconds",
      "items/s",
      "target requests (429)",
      "client CPU s / 1k items",
      "emulator thread busy",
      "all cores busy",
      "target after copy",
    ],
    [results.naive, results.tunedBulk, results.rawCeiling, results.engine, results.engineTwoWorkers].map(
      copierRow,
    ),
  );
  const checks = table(
    ["target", "figure", "bound", "met"],
    targets.map(({ key, label, holds, bound }) => {
      const value = figures[key];
      return [label, show(value), bound, value === null ? "n/a" : holds(value, figures) ? "yes" : "NO"];
    }),
  );
  const details = [
    engineDetail(results),
    `engine (2 workers): items per worker ${JSON.stringify(results.engineTwoWorkers.processedByWorker)}`,
    rateDetail("budget run", results.budget),
    rateDetail("budget run, 2 workers", results.budgetTwoWorkers),
    rateDetail("cap run", results.cap),
    recopyDetail(results),
    onlineDetail(results),
    memoryDetail(results),
    controlPlaneDetail(results),
    ...Object.entries(results.failures).map(([name, reason]) => `NOT RUN: ${name}: ${reason}`),
  ];
  return [copies, "", checks, "", ...details.map((d) => `- ${d}`)].join("\n");
}

export function renderJson(figures: Figures): string {
  return JSON.stringify(figures);
}

export function renderMarkdown(results: BenchResults, figures: Figures, chart: boolean): string {
  const m = results.machine;
  const chartSection = chart
    ? `## Over time

Items written per second and RU/s charged to the target, per copier, sampled every second:

![items/s and RU/s over time, per copier](${chartFileName})

`
    : "";
  return `# Benchmark results

Generated by \`${results.command}\` — do not edit by hand; run the bench with \`--write-results\` again.

## Machine

| | |
|---|---|
| CPUs (nproc) | ${m.cpus} |
| CPU model | ${m.cpuModel} |
| memory | ${m.memoryGb} GB |
| Node.js | ${m.node} |
| OS | ${m.platform} |
| date | ${m.date} |
| load average (1 min) at start / end | ${m.loadAtStart.toFixed(2)} / ${m.loadAtEnd?.toFixed(2) ?? "?"} |
| code | ${results.revision} |
| endpoint | ${results.endpoint} |
| items | ${figures.items} × ${results.itemBytes} bytes |
| tuned-bulk settings | page ${results.tunedSettings.pageSize}, ${results.tunedSettings.concurrency} calls in flight |

## Output

\`\`\`
${renderTable(results, figures)}
${renderJson(figures)}
\`\`\`

${chartSection}## How each figure is measured

- Every copier is a separate process (the emulator is one too), timed from its launch: the scripts until
  they exit, the engine's workers until the job's record says Completed, which includes the workers'
  start-up and the engine's closing verification (counts and checksums of both containers);
  \`engine_job_items_per_s\` leaves the start-up out. Two workers are two processes, on the same cores as
  the emulator. After each copy the bench itself counts and checksums source and target. "emulator thread
  busy" is the share of the copy's wall time the emulator's main thread (HTTP, JSON and SQLite all run on
  it) spent on a CPU; "all cores busy" is the machine's, whoever used it (other work included).
- The raw write ceiling writes the source's very items, built in memory, into a fresh target with
  \`items.bulk\` (100 operations a call, ${rawWriteConcurrency} calls in flight) from its own process, reading
  nothing: the fastest this endpoint takes these writes. \`engine ÷ raw\` compares the engine's items/s with it.
- Client CPU per 1,000 items is user + system time of the copier's own process(es) from
  \`/proc/<pid>/stat\`, read at their end (a script reads its own as it finishes; the bench reads the
  engine's workers as the job completes, summed over workers), ÷ items × 1,000. The engine's includes
  counting the source before it starts and its closing verification.
- Throughput runs write into targets whose RU/s budget is far above what the endpoint can take, so the
  endpoint, not a budget, bounds them. The budget runs give the target a fixed budget and read the
  emulator's request statistics: RU the target was charged ÷ (budget × the job's duration); throttled is
  the target's requests answered 429 (a bulk request counts if any of its operations was) ÷ its requests.
  They run with one worker and then two at the same budget: each worker's share is its entry of the
  job's \`processedByWorker\` ÷ the items, and the wall times (launch to Completed) are compared.
- The cap run copies a source of its own into a target far roomier than the job's
  \`targetThroughputLimit\` of \`requestUnitsPerSecond\`: RU/s used is the RU the target was charged ÷
  the job's duration, compared with the cap.
- The state database's share counts every request to \`__datatransferstate\` (checkpoints, leases,
  progress, heartbeats, the job slot) during the one-worker budget run, minus the bench's own polling of
  the job.
- Peak RSS is the worker process's VmHWM, read from /proc while it is alive, not the bench's. While that
  copy runs, a probe in the bench times, every 250 ms through the SDK, one metadata call (reading a
  container's definition) and one point read, on a one-item container of its own; p99 is the nearest-rank
  99th percentile of those calls.
- Re-copies are counted from the target's partition LSNs (one per write), not from the engine's counters;
  that copy runs at the budget too, so the kill lands mid-copy. The bound is the engine's own
  \`maxRecopiedItems\`: the page size × the larger of the pages a worker writes at once per range × the
  source's feed ranges, and the pages a worker holds in all.
- The online run seeds a source of its own (its all-versions-and-deletes change feed kept) and copies it
  online, with one worker process, into a target partitioned differently. Once the job's record says
  Tailing, an application in the bench process creates, replaces and deletes the source's items (2 : 2 : 1,
  through the SDK's point operations, about 1 KB each) for a fixed time, as fast as a fixed number of
  operations in flight allow, while the bench reads the job's record every 250 ms. The write rate is the
  application's operations that succeeded ÷ the time from its start until its last operation ended (each
  is one change in the feed). The apply rate is the growth of the record's \`appliedChanges\` from that
  start to the last record the engine wrote before the writes stopped ÷ the time to that record's own
  \`lastUpdatedUtcTime\` (the engine writes its record about once a second; the time the bench read it
  would count up to that second against the engine); apply ÷ write near 1 says the tail keeps up. The
  largest lag is the largest \`online.lag\` (changes, seconds; the engine's own estimate) in any record
  read from the writes' start to Completed. The cutover is from the writes' end, then \`complete\`, to
  the record's \`completedAt\`, closing verification included. The job's own verification and the
  bench's count and checksum of both containers must both match.
- The chart samples every copy each second: the sum of the target's partition LSNs (writes taken, counted
  the same way for every copier) and the RU the emulator charged the target; the rates are the changes
  between samples.
- preview and refresh run the pinned Pulumi CLI through the Automation API on a stack holding one
  ContainerCopyJob that has been deployed; the median of the runs listed is reported.
- A phase that cannot run (a stalled endpoint, a failed job) is listed as NOT RUN with its reason; the
  bench goes on with the next one.
`;
}
