import { defaultWriteConcurrency } from "../../engine/cassandra/row-sink";
import { defaultTokenRangeCount } from "../../engine/cassandra/token-ranges";
import { defaultCopyOptions } from "../../engine/types";
import { defaultPagesInFlight, defaultPagesPerWorker } from "../../engine/worker";
import type { Machine } from "../measure/machine";
import { percent, round, table } from "../report-format";
import { cassandraSectionHeading } from "../results-file";
import type { CassandraComparison, TableCopyResult } from "./comparison";
import { concurrencyLevels, tunedReadSettings } from "./token-range-copy";

/**
 * The table comparison's figures (keys prefixed `cassandra_`, merged into the bench's one JSON line), its
 * table for people, and its section of bench/RESULTS.md. Figures are computed here only, from the
 * measurements, so the three cannot disagree.
 */
export interface CassandraResults extends CassandraComparison {
  machine: Machine;
  revision: string;
  command: string;
}

export type CassandraFigures = Record<`cassandra_${string}`, number | null>;

const rowsPerSecond = (result: TableCopyResult, seconds = result.seconds) =>
  result.check.sourceRows / seconds;

/** The engine's rows/s from its launch to its closing verification's start. */
function engineCopyRate({ engine }: CassandraComparison): number {
  return rowsPerSecond(engine, engine.seconds - engine.verificationSeconds);
}

function cpuPerThousand(result: TableCopyResult): number | undefined {
  return result.clientCpuSeconds === undefined
    ? undefined
    : (result.clientCpuSeconds / result.check.sourceRows) * 1000;
}

export function cassandraFigures(results: CassandraResults): CassandraFigures {
  const { tuned, engine, sweep } = results;
  const copies = [...sweep, engine];
  return {
    cassandra_rows: results.rows,
    cassandra_tuned_rows_per_s: round(rowsPerSecond(tuned), 0),
    cassandra_tuned_concurrency: tuned.concurrencyLevel,
    cassandra_engine_rows_per_s: round(rowsPerSecond(engine), 0),
    cassandra_engine_copy_rows_per_s: round(engineCopyRate(results), 0),
    cassandra_engine_running_rows_per_s: round(rowsPerSecond(engine, engine.copySeconds), 0),
    cassandra_engine_start_s: round(engine.startSeconds, 2),
    cassandra_engine_verification_s: round(engine.verificationSeconds, 2),
    cassandra_ratio_copy: round(engineCopyRate(results) / rowsPerSecond(tuned), 2),
    cassandra_ratio_end_to_end: round(rowsPerSecond(engine) / rowsPerSecond(tuned), 2),
    cassandra_engine_cpu_s_per_1k_rows: round(cpuPerThousand(engine), 3),
    cassandra_tuned_cpu_s_per_1k_rows: round(cpuPerThousand(tuned), 3),
    cassandra_engine_peak_rss_mb: round(engine.peakRssMb, 1),
    cassandra_rows_lost: copies.reduce(
      (sum, c) => sum + Math.max(0, c.check.sourceRows - c.check.targetRows),
      0,
    ),
    cassandra_checks_failed:
      copies.filter((c) => !c.check.matched).length + (engine.job.verification?.matched ? 0 : 1),
    cassandra_foreign_workers: engine.foreignWorkers.length,
    cassandra_load_at_start: round(results.loadAtStart, 2),
    cassandra_load_at_end: round(results.loadAtEnd, 2),
  };
}

function copyRow(result: TableCopyResult, kept = false): string[] {
  const { check } = result;
  return [
    `${result.label}${kept ? " (kept)" : ""}`,
    String(check.sourceRows),
    result.seconds.toFixed(1),
    rowsPerSecond(result).toFixed(0),
    cpuPerThousand(result)?.toFixed(3) ?? "n/a",
    result.nodeCores?.toFixed(2) ?? "n/a",
    percent(result.machineBusy),
    `${check.targetRows}/${check.sourceRows}, checksum ${check.matched ? "equal" : "DIFFERS"}`,
  ];
}

function engineDetail(results: CassandraResults, figures: CassandraFigures): string {
  const { engine } = results;
  const verification = engine.job.verification;
  const readRate = (2 * results.rows) / engine.verificationSeconds;
  return (
    `engine: ${engine.seconds.toFixed(1)} s = ${engine.startSeconds.toFixed(1)} s until the job ran (the worker's ` +
    `start-up, then counting the source's rows) + ${engine.copySeconds.toFixed(1)} s copying ` +
    `(${figures.cassandra_engine_running_rows_per_s} rows/s) + ${engine.verificationSeconds.toFixed(1)} s of closing ` +
    `verification (both tables read whole, ${readRate.toFixed(0)} rows/s read; ` +
    `${verification?.matched ? "matched" : "DID NOT match"}); worker peak RSS ${engine.peakRssMb?.toFixed(0) ?? "n/a"} MB`
  );
}

function sweepDetail({ sweep, tuned }: CassandraResults): string {
  const rates = sweep.map((result) => `${result.concurrencyLevel}: ${rowsPerSecond(result).toFixed(0)}`);
  return `tuned script, rows/s by executeConcurrent concurrency level: ${rates.join(", ")}; kept ${tuned.concurrencyLevel}`;
}

function ratioDetail(figures: CassandraFigures): string {
  return (
    `engine ÷ tuned script: ${figures.cassandra_ratio_copy} without the engine's closing verification ` +
    `(${figures.cassandra_engine_copy_rows_per_s} ÷ ${figures.cassandra_tuned_rows_per_s} rows/s), ` +
    `${figures.cassandra_ratio_end_to_end} with it (${figures.cassandra_engine_rows_per_s} rows/s)`
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
    [...results.sweep.map((result) => copyRow(result, result === results.tuned)), copyRow(results.engine)],
  );
  const foreign = results.engine.foreignWorkers;
  const details = [
    ratioDetail(figures),
    engineDetail(results, figures),
    sweepDetail(results),
    `source: ${results.rows} rows seeded in ${results.seedSeconds.toFixed(1)} s`,
    ...(foreign.length > 0
      ? [`DISTURBED: workers of another run took part in the engine's job: ${foreign.join(", ")}`]
      : []),
  ];
  return [copies, "", ...details.map((d) => `- ${d}`)].join("\n");
}

export function renderCassandraMarkdown(results: CassandraResults, figures: CassandraFigures): string {
  const m = results.machine;
  const { ranges, rangesInFlight, fetchSize } = tunedReadSettings;
  return `${cassandraSectionHeading}

Generated by \`${results.command}\` — do not edit by hand; run the bench with \`--write-results\` again
(a run with \`--items 0\` rewrites this section only).

| | |
|---|---|
| cluster | ${results.cluster} |
| CPUs (nproc) | ${m.cpus} (${m.cpuModel}), shared by the node, the copier and other work |
| date | ${results.date} |
| load average (1 min) at start / end | ${results.loadAtStart.toFixed(2)} / ${results.loadAtEnd.toFixed(2)} |
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
- The tuned script is its own process, timed from launch to exit: the ring cut into ${ranges} token ranges,
  ${rangesInFlight} read at once with \`fetchSize\` ${fetchSize} and \`pageState\` paging, every row streamed
  into one \`concurrent.executeConcurrent\` of a prepared INSERT (nulls bound as unset, as the engine does);
  no checkpoints, no verification. It runs once per concurrency level listed, and the fastest is the one
  compared — the best of several runs against one run of the engine, which leans against the engine.
- The engine: \`CassandraCopyJobs.create\`, then one worker process started as the engine starts them
  (\`startWorkerProcess(connection, { mode: "owned" })\`: its own process like the script, and its CPU and
  memory its own), timed from its launch to the \`completedAt\` of the job's record. The job's record splits
  that time: until \`startedAt\` the worker starts and counts the source's rows; then it copies; the last
  \`verification.durationMs\` is its closing verification, which reads both tables whole.
  \`cassandra_ratio_copy\` leaves that verification out (the script does none); \`cassandra_ratio_end_to_end\`
  keeps it. Before the engine runs, the bench waits (10 minutes at most) until no other job and no other
  worker is on the cluster: a cluster's jobs share one slot, and any live worker joins the running job.
- After each copy the bench reads the source and the target whole (their counts and order-independent
  checksums over the source's columns). "node cores busy" is the local node's process CPU time during the
  copy ÷ its wall time (the node runs on the same ${m.cpus} cores); "all cores busy" is the machine's, whoever
  used it (other work included). Client CPU per 1,000 rows is the copier's process's user + system time.
`;
}
