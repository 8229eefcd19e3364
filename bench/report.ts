import type { Verification } from "../engine";
import type { Comparison, CopierResult } from "./comparison";
import type { BulkSettings } from "./copiers/tuned-bulk";
import type { BudgetRun } from "./measure/ru-budget";
import type { ControlPlaneTimes } from "./measure/control-plane";
import type { Machine } from "./measure/machine";
import type { MemoryRun } from "./measure/memory";
import type { RecopyRun } from "./measure/recopies";

/**
 * Everything one run measured, turned into the figures the issue asks for: a table for people, one JSON line
 * for machines (always the last line printed), and bench/RESULTS.md. Figures are computed here only, from
 * the measurements, so the table, the JSON and the file cannot disagree.
 */
/** What the runs measured. */
export interface Measurements extends Comparison {
  budget: BudgetRun;
  recopy?: RecopyRun;
  memory?: MemoryRun;
  controlPlane?: ControlPlaneTimes;
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

type Figures = Record<string, number | null>;

const perSecond = (result: CopierResult) => result.verification.sourceCount / result.seconds;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function lost(verification: Verification): number {
  return Math.max(0, verification.sourceCount - verification.targetCount);
}

function round(value: number | undefined, digits: number): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
}

export function figuresOf(results: BenchResults): Figures {
  const { naive, tunedBulk, engine, engineTwoWorkers, budget, recopy, memory, controlPlane } = results;
  const verifications = [naive, tunedBulk, engine, engineTwoWorkers, budget, ...(recopy ? [recopy] : [])].map(
    (r) => r.verification,
  );
  const copied = memory?.copied;
  const memoryLost = memory?.copied ? Math.max(0, memory.items - memory.copied.targetCount) : 0;
  const memoryMismatch = copied && copied.engine.job.verification?.matched !== true ? 1 : 0;
  return {
    items: naive.verification.sourceCount,
    item_bytes: results.itemBytes,
    naive_items_per_s: round(perSecond(naive), 0),
    bulk_items_per_s: round(perSecond(tunedBulk), 0),
    engine_items_per_s: round(perSecond(engine), 0),
    engine_job_items_per_s: round(engine.verification.sourceCount / engine.jobSeconds, 0),
    engine_2_workers_items_per_s: round(perSecond(engineTwoWorkers), 0),
    ratio_vs_naive: round(perSecond(engine) / perSecond(naive), 2),
    ratio_vs_bulk: round(perSecond(engine) / perSecond(tunedBulk), 2),
    budget_ru_per_s: budget.ruPerSecond,
    budget_items_per_s: round(budget.verification.sourceCount / budget.engine.seconds, 0),
    ru_utilization: round(budget.ruUtilization, 3),
    throttled_share: round(budget.throttledShare, 4),
    checkpoint_ru_share: round(budget.checkpointRuShare, 4),
    items_lost: verifications.reduce((sum, v) => sum + lost(v), 0) + memoryLost,
    verification_failures: verifications.filter((v) => !v.matched).length + memoryMismatch,
    memory_items: memory?.items ?? null,
    peak_rss_mb: round(copied?.engine.workerPeakRssMb, 1),
    memory_items_per_s: memory?.copied ? round(memory.items / memory.copied.engine.seconds, 0) : null,
    recopied_after_kill: recopy?.recopied ?? null,
    recopy_bound: recopy?.bound ?? null,
    preview_s: controlPlane ? round(median(controlPlane.previewSeconds), 2) : null,
    refresh_s: controlPlane ? round(median(controlPlane.refreshSeconds), 2) : null,
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
  { key: "ratio_vs_bulk", label: "engine ÷ tuned bulk", holds: (v) => v >= 1.2, bound: "≥ 1.2" },
  { key: "ru_utilization", label: "RU/s used ÷ budget", holds: (v) => v >= 0.9, bound: "≥ 0.9" },
  { key: "throttled_share", label: "target requests throttled", holds: (v) => v <= 0.05, bound: "≤ 0.05" },
  { key: "items_lost", label: "items lost (all copies)", holds: (v) => v === 0, bound: "= 0" },
  { key: "peak_rss_mb", label: "engine worker peak RSS (MB)", holds: (v) => v < 250, bound: "< 250" },
  { key: "checkpoint_ru_share", label: "state RU ÷ all RU", holds: (v) => v <= 0.01, bound: "≤ 0.01" },
  {
    key: "recopied_after_kill",
    label: "items re-copied after SIGKILL",
    holds: (v, f) => f.recopy_bound !== null && v <= f.recopy_bound,
    bound: "≤ one page per range",
  },
  { key: "preview_s", label: "pulumi preview (s, median)", holds: (v) => v <= 2, bound: "≤ 2" },
  { key: "refresh_s", label: "pulumi refresh (s, median)", holds: (v) => v <= 2, bound: "≤ 2" },
];

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("   ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const percent = (share: number | undefined) => (share === undefined ? "n/a" : `${Math.round(share * 100)}%`);

function copierRow(result: CopierResult): string[] {
  const v = result.verification;
  const usage = result.targetUsage;
  return [
    result.label,
    String(v.sourceCount),
    result.seconds.toFixed(1),
    perSecond(result).toFixed(0),
    usage ? `${usage.requests} (${usage.throttled})` : "n/a",
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
    `${engine.jobSeconds.toFixed(1)} s of job, whose closing verification alone takes about ` +
    `${engine.checkSeconds.toFixed(1)} s (the bench's identical check): about ${copying.toFixed(0)} items/s while copying`
  );
}

function budgetDetail({ budget }: BenchResults, figures: Figures): string {
  const run = `budget run: ${budget.ruPerSecond} RU/s target, ${figures.budget_items_per_s} items/s, job ${(budget.engine.job.durationMs / 1000).toFixed(1)} s`;
  if (!budget.target)
    return `${run}; RU figures skipped: the endpoint has no cosmos-emulator request statistics`;
  return (
    `${run}, target charged ${Math.round(budget.target.requestUnits)} RU in ${budget.target.requests} requests ` +
    `(${budget.target.throttled} throttled); state database ${Math.round(budget.stateRequestUnits ?? 0)} of ` +
    `${Math.round(budget.totalRequestUnits ?? 0)} RU`
  );
}

function recopyDetail({ recopy }: BenchResults): string {
  if (!recopy)
    return "kill run: no figure, the endpoint reports no partition LSNs or every page was written before the kill";
  return `kill run: SIGKILL at ${recopy.processedAtKill} items recorded, ${recopy.recopied} items written twice (bound ${recopy.bound})`;
}

function memoryDetail({ memory }: BenchResults): string {
  if (!memory) return "memory run: skipped";
  const seeded = `memory run: ${memory.items} items seeded in ${memory.seedSeconds.toFixed(0)} s`;
  if (!memory.copied) return `${seeded}; the copy could not run: ${memory.failure}`;
  const { engine, targetCount } = memory.copied;
  const waited = engine.seconds - engine.job.durationMs / 1000;
  return (
    `${seeded}, copied in ${engine.seconds.toFixed(0)} s (${waited.toFixed(0)} s of it until the job ran), ` +
    `target holds ${targetCount}, engine verification ${engine.job.verification?.matched ? "matched" : "DID NOT match"}`
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
      "emulator thread busy",
      "all cores busy",
      "target after copy",
    ],
    [results.naive, results.tunedBulk, results.engine, results.engineTwoWorkers].map(copierRow),
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
    budgetDetail(results, figures),
    recopyDetail(results),
    memoryDetail(results),
    controlPlaneDetail(results),
  ];
  return [copies, "", checks, "", ...details.map((d) => `- ${d}`)].join("\n");
}

export function renderJson(figures: Figures): string {
  return JSON.stringify(figures);
}

export function renderMarkdown(results: BenchResults, figures: Figures): string {
  const m = results.machine;
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

## How each figure is measured

- Every copier is a separate process (the emulator is one too), timed from its launch: the scripts until
  they exit, the engine's workers until the job's record says Completed, which includes the workers'
  start-up and the engine's closing verification (counts and checksums of both containers);
  \`engine_job_items_per_s\` leaves the start-up out. Two workers are two processes, on the same cores as
  the emulator. After each copy the bench itself counts and checksums source and target. "emulator thread
  busy" is the share of the copy's wall time the emulator's main thread (HTTP, JSON and SQLite all run on
  it) spent on a CPU; "all cores busy" is the machine's, whoever used it (other work included).
- Throughput runs write into targets whose RU/s budget is far above what the endpoint can take, so the
  endpoint, not a budget, bounds them. The budget run gives the target a fixed budget and reads the
  emulator's request statistics: RU the target was charged ÷ (budget × the job's duration).
- The state database's share counts every request to \`__datatransferstate\` (checkpoints, leases,
  progress, heartbeats, the job slot) during the budget run, minus the bench's own polling of the job.
- Peak RSS is the worker process's VmHWM, read from /proc while it is alive, not the bench's.
- Re-copies are counted from the target's partition LSNs (one per write), not from the engine's counters;
  that copy runs at the budget too, so the kill lands mid-copy.
- preview and refresh run the pinned Pulumi CLI through the Automation API on a stack holding one
  ContainerCopyJob that has been deployed; the median of the runs listed is reported.
`;
}
