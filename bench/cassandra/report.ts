import { defaultWriteConcurrency } from "../../engine/cassandra/row-sink";
import { defaultTokenRangeCount } from "../../engine/cassandra/token-ranges";
import { defaultCopyOptions } from "../../engine/types";
import { defaultPagesInFlight, defaultPagesPerWorker } from "../../engine/worker";
import type { Machine } from "../measure/machine";
import { percent, round, table } from "../report-format";
import { cassandraSectionHeading } from "../results-file";
import type { CassandraComparison, TableCopyResult, TableRun } from "./comparison";
import { concurrencyLevels, tunedReadSettings } from "./token-range-copy";

/**
 * The table comparison's figures (keys prefixed `cassandra_`, merged into the bench's one JSON line), its
 * table for people, and its section of bench/RESULTS.md. Each run has its figures; the JSON gives their
 * medians. Figures are computed here only, from the measurements, so the three cannot disagree.
 */
export interface CassandraResults extends CassandraComparison {
  machine: Machine;
  revision: string;
  command: string;
}

export type CassandraFigures = Record<`cassandra_${string}`, number | null>;

const rowsPerSecond = (result: TableCopyResult, seconds = result.seconds) =>
  result.check.sourceRows / seconds;

function cpuPerThousand(result: TableCopyResult): number | undefined {
  return result.clientCpuSeconds === undefined
    ? undefined
    : (result.clientCpuSeconds / result.check.sourceRows) * 1000;
}

/** The level kept most often (the lowest of those kept as often). */
function mostKept(levels: number[]): number | undefined {
  const times = (level: number) => levels.filter((other) => other === level).length;
  return [...levels].sort((a, b) => times(b) - times(a) || a - b)[0];
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One run's rates and times, unrounded. */
function runFigures({ tuned, engine }: TableRun) {
  // The engine from its launch to its closing verification's start, what the script's time compares with.
  const engineCopy = rowsPerSecond(engine, engine.seconds - engine.verificationSeconds);
  return {
    tuned_rows_per_s: rowsPerSecond(tuned),
    engine_rows_per_s: rowsPerSecond(engine),
    engine_copy_rows_per_s: engineCopy,
    engine_running_rows_per_s: rowsPerSecond(engine, engine.copySeconds),
    engine_start_s: engine.startSeconds,
    engine_verification_s: engine.verificationSeconds,
    ratio_copy: engineCopy / rowsPerSecond(tuned),
    ratio_end_to_end: rowsPerSecond(engine) / rowsPerSecond(tuned),
    engine_cpu_s_per_1k_rows: cpuPerThousand(engine),
    tuned_cpu_s_per_1k_rows: cpuPerThousand(tuned),
    engine_peak_rss_mb: engine.peakRssMb,
  };
}

type RunFigures = ReturnType<typeof runFigures>;

/** Decimals each figure is given with. */
const digits: Record<keyof RunFigures, number> = {
  tuned_rows_per_s: 0,
  engine_rows_per_s: 0,
  engine_copy_rows_per_s: 0,
  engine_running_rows_per_s: 0,
  engine_start_s: 2,
  engine_verification_s: 2,
  ratio_copy: 2,
  ratio_end_to_end: 2,
  engine_cpu_s_per_1k_rows: 3,
  tuned_cpu_s_per_1k_rows: 3,
  engine_peak_rss_mb: 1,
};

export function cassandraFigures(results: CassandraResults): CassandraFigures {
  const perRun = results.runs.map(runFigures);
  const medians = Object.fromEntries(
    (Object.keys(digits) as (keyof RunFigures)[]).map((key) => {
      const values = perRun.map((run) => run[key]).filter((value): value is number => value !== undefined);
      return [`cassandra_${key}`, round(median(values), digits[key])];
    }),
  );
  const copies = results.runs.flatMap((run) => [...run.sweep, run.engine]);
  const engines = results.runs.map((run) => run.engine);
  return {
    cassandra_rows: results.rows,
    cassandra_runs: results.runs.length,
    ...medians,
    cassandra_tuned_concurrency: mostKept(results.runs.map((run) => run.tuned.concurrencyLevel)) ?? null,
    cassandra_rows_lost: copies.reduce(
      (sum, c) => sum + Math.max(0, c.check.sourceRows - c.check.targetRows),
      0,
    ),
    cassandra_checks_failed:
      copies.filter((c) => !c.check.matched).length +
      engines.filter((engine) => engine.job.verification?.matched !== true).length,
    cassandra_foreign_workers: engines.reduce((sum, engine) => sum + engine.foreignWorkers.length, 0),
    cassandra_load_at_start: round(results.runs[0]?.loadAtStart, 2),
    cassandra_load_at_end: round(results.runs[results.runs.length - 1]?.loadAtEnd, 2),
  };
}

function copyRow(run: number, result: TableCopyResult, kept = false): string[] {
  const { check } = result;
  return [
    `run ${run}: ${result.label}${kept ? " (kept)" : ""}`,
    String(check.sourceRows),
    result.seconds.toFixed(1),
    rowsPerSecond(result).toFixed(0),
    cpuPerThousand(result)?.toFixed(3) ?? "n/a",
    result.nodeCores?.toFixed(2) ?? "n/a",
    percent(result.machineBusy),
    `${check.targetRows}/${check.sourceRows}, checksum ${check.matched ? "equal" : "DIFFERS"}`,
  ];
}

function runDetail(number: number, run: TableRun, rows: number): string {
  const { engine, sweep, tuned } = run;
  const figures = runFigures(run);
  const rates = sweep.map((result) => `${result.concurrencyLevel}: ${rowsPerSecond(result).toFixed(0)}`);
  const foreign = engine.foreignWorkers.length
    ? `; DISTURBED: workers of another run took part in the engine's job: ${engine.foreignWorkers.join(", ")}`
    : "";
  return (
    `run ${number} (load ${run.loadAtStart.toFixed(1)} → ${run.loadAtEnd.toFixed(1)}): engine ÷ tuned script ` +
    `${figures.ratio_copy.toFixed(2)} without the engine's closing verification (${figures.engine_copy_rows_per_s.toFixed(0)} ÷ ` +
    `${figures.tuned_rows_per_s.toFixed(0)} rows/s), ${figures.ratio_end_to_end.toFixed(2)} with it. Engine: ` +
    `${engine.seconds.toFixed(1)} s = ${engine.startSeconds.toFixed(1)} s until the job ran (the worker's start-up, then ` +
    `counting the source's rows) + ${engine.copySeconds.toFixed(1)} s copying (${figures.engine_running_rows_per_s.toFixed(0)} rows/s) + ` +
    `${engine.verificationSeconds.toFixed(1)} s of closing verification (both tables read whole, ` +
    `${((2 * rows) / engine.verificationSeconds).toFixed(0)} rows/s read; ${engine.job.verification?.matched ? "matched" : "DID NOT match"}); ` +
    `worker peak RSS ${engine.peakRssMb?.toFixed(0) ?? "n/a"} MB. Script rows/s by concurrency level: ${rates.join(", ")}; ` +
    `kept ${tuned.concurrencyLevel}${foreign}`
  );
}

export function renderCassandraTable(results: CassandraResults, figures: CassandraFigures): string {
  const copies = table(
    [
      "copier",
      "rows",
      "seconds",
      "rows/s",
      "client CPU s / 1k rows",
      "node cores busy",
      "all cores busy",
      "target after copy",
    ],
    results.runs.flatMap((run, i) => [
      ...run.sweep.map((result) => copyRow(i + 1, result, result === run.tuned)),
      copyRow(i + 1, run.engine),
    ]),
  );
  const ratios = results.runs.map((run) => runFigures(run).ratio_copy.toFixed(2)).join(", ");
  const details = [
    `engine ÷ tuned script, median of ${results.runs.length} run(s): ${figures.cassandra_ratio_copy} without the engine's ` +
      `closing verification (each run: ${ratios}), ${figures.cassandra_ratio_end_to_end} with it`,
    ...results.runs.map((run, i) => runDetail(i + 1, run, results.rows)),
    `source: ${results.rows} rows seeded in ${results.seedSeconds.toFixed(1)} s`,
  ];
  return [copies, "", ...details.map((d) => `- ${d}`)].join("\n");
}

export function renderCassandraMarkdown(results: CassandraResults, figures: CassandraFigures): string {
  const m = results.machine;
  const { ranges, rangesInFlight, fetchSize } = tunedReadSettings;
  const loads = results.runs.map((run) => `${run.loadAtStart.toFixed(2)} / ${run.loadAtEnd.toFixed(2)}`);
  return `${cassandraSectionHeading}

Generated by \`${results.command}\` — do not edit by hand; run the bench with \`--write-results\` again
(a run with \`--items 0\` rewrites this section only).

| | |
|---|---|
| cluster | ${results.cluster} |
| CPUs (nproc) | ${m.cpus} (${m.cpuModel}), shared by the node, the copier and other work |
| date | ${results.runs[0]?.date ?? m.date} |
| load average (1 min) at start / end of each run | ${loads.join("; ")} |
| code | ${results.revision} |
| rows | ${results.rows} rows of the tests' fixture table (test/support/cassandra-tables.ts) |
| tuned script settings | ${ranges} token ranges, ${rangesInFlight} read at once, pages of ${fetchSize}; executeConcurrent levels tried: ${concurrencyLevels.join(", ")} |
| engine settings | defaults: pages of ${defaultCopyOptions.pageSize}, ${defaultTokenRangeCount} token ranges, ${defaultPagesInFlight} pages in flight per range and ${defaultPagesPerWorker} per worker, ${defaultWriteConcurrency} inserts in flight per page |

\`\`\`
${renderCassandraTable(results, figures)}
${JSON.stringify(figures)}
\`\`\`

### How each figure is measured

- The source is the tests' fixture: 18 columns — a composite partition key \`(tenant, region)\`, clustering
  columns, a set, a list, two maps (one of blobs), a frozen UDT, a tuple, a blob, timestamps, a decimal, a
  varint, an inet, NaN and nulls. Every copy goes into a fresh table of the same columns keyed
  \`PRIMARY KEY ((seq), tenant, region, day)\` with another clustering order, so every row changes partition.
- Each run copies the source with the tuned script at every concurrency level listed, then with the engine,
  one copy after the other; the JSON line gives the medians of the runs' figures (\`--cassandra-runs\`).
- The tuned script is its own process, timed from launch to exit: the ring cut into ${ranges} token ranges,
  ${rangesInFlight} read at once with \`fetchSize\` ${fetchSize} and \`pageState\` paging, every row streamed
  into one \`concurrent.executeConcurrent\` of a prepared INSERT (nulls bound as unset, as the engine does);
  no checkpoints, no verification. The fastest level of a run is the one compared — the best of several
  copies against one copy by the engine, which leans against the engine.
- The engine: \`CassandraCopyJobs.create\`, then one worker process started as the engine starts them
  (\`startWorkerProcess(connection, { mode: "owned" })\`: its own process like the script, and its CPU and
  memory its own), timed from its launch to the \`completedAt\` of the job's record. The job's record splits
  that time: until \`startedAt\` the worker starts and counts the source's rows; then it copies; the last
  \`verification.durationMs\` is its closing verification, which reads both tables whole.
  \`cassandra_ratio_copy\` leaves that verification out (the script does none); \`cassandra_ratio_end_to_end\`
  keeps it. Before the engine runs, the bench waits (10 minutes at most) until no other job and no other
  worker is on the cluster: a cluster's jobs share one slot, and any live worker joins the running job (a
  job another run's worker took part in is timed again, up to 3 times).
- After each copy the bench reads the source and the target whole (their counts and order-independent
  checksums over the source's columns). "node cores busy" is the local node's process CPU time during the
  copy ÷ its wall time (the node runs on the same ${m.cpus} cores); "all cores busy" is the machine's, whoever
  used it (other work included). Client CPU per 1,000 rows is the copier's process's user + system time.
`;
}
