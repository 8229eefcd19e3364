import { describePlan, type ContainerRef, type CopyPlan } from "../engine";
import type { CassandraCopyPlan, CassandraTablePlan } from "./cassandra-plan";
import type { OutputFormat } from "./output";

/**
 * `create --dry-run`: the plan as a table of its fields followed by its one-line summary, as the plan's
 * object in JSON (the engine's `CopyPlan`, or a `CassandraCopyPlan`), or as one TSV line of the table's
 * values in its order. A value the plan has not (the rate of a container without provisioned throughput)
 * shows as "-" and as an empty TSV field.
 */
type Rows<Plan> = [label: string, value: (plan: Plan) => string | number | undefined][];

const where = (ref: ContainerRef) => `${ref.database}/${ref.container}`;

const rows: Rows<CopyPlan> = [
  ["Job", (p) => p.name],
  ["Source", (p) => where(p.source)],
  ["Destination", (p) => p.destination && where(p.destination)],
  ["Items", (p) => p.sourceItemCount],
  ["Size (bytes)", (p) => p.sourceSizeBytes],
  ["Size from", (p) => p.sizeFrom],
  ["Sampled items", (p) => p.sampledItems],
  ["Target RU/s (provisioned)", (p) => p.targetRequestUnitsPerSecond],
  ["Write RU/s (effective)", (p) => p.effectiveRequestUnitsPerSecond],
  ["Read RU/s (source)", (p) => p.sourceRequestUnitsPerSecond],
  ["Write RU (estimate)", (p) => p.estimatedWriteRequestUnits],
  ["Read RU (estimate)", (p) => p.estimatedReadRequestUnits],
  ["Verification RU (estimate)", (p) => p.estimatedVerificationRequestUnits],
  ["Total RU (estimate)", (p) => p.estimatedRequestUnits],
  ["Seconds (estimate)", (p) => p.estimatedSeconds],
  ["Plan cost (RU)", (p) => p.planRequestCharge],
  ["Analysis: items read", (p) => p.analysis?.itemsRead],
  ["Analysis: items skipped", (p) => p.analysis?.itemsSkipped],
  ["Analysis: largest partition (bytes)", (p) => p.analysis?.largestPartitions[0]?.bytes],
  ["Analysis cost (RU)", (p) => p.analysis?.requestCharge],
];

const table = (ref: CassandraTablePlan) => `${ref.keyspace}.${ref.table}`;

const cassandraRows: Rows<CassandraCopyPlan> = [
  ["Job", (p) => p.name],
  ["Source", (p) => table(p.source)],
  ["Source key", (p) => p.source.primaryKey],
  ["Destination", (p) => table(p.destination)],
  ["Destination key", (p) => p.destination.primaryKey],
  ["Columns copied", (p) => p.source.columnCount],
  ["Rows", (p) => p.sourceRowCount],
  ["Workers", (p) => p.options.workerCount],
  ["Page size (rows)", (p) => p.options.pageSize],
  ["Verification", (p) => p.options.verificationMode],
];

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function shown(value: string | number | undefined): string {
  if (value === undefined) return "-";
  return typeof value === "number" ? number.format(value) : value;
}

/** `summary`: the lines a table closes with, before saying that nothing was created. */
function formatFields<Plan>(plan: Plan, fields: Rows<Plan>, format: OutputFormat, summary: string[]): string {
  switch (format) {
    case "json":
      return JSON.stringify(plan, null, 2) + "\n";
    case "tsv":
      return fields.map(([, value]) => String(value(plan) ?? "")).join("\t") + "\n";
    case "table": {
      const width = Math.max(...fields.map(([label]) => label.length));
      const lines = fields.map(([label, value]) => `${label.padEnd(width)}  ${shown(value(plan))}`);
      return [...lines, "", ...summary, "Dry run: no job was created."].join("\n") + "\n";
    }
  }
}

export function formatPlan(plan: CopyPlan, format: OutputFormat): string {
  const warnings = (plan.analysis?.warnings ?? []).map((warning) => `warning: ${warning}`);
  return formatFields(plan, rows, format, [describePlan(plan), ...warnings]);
}

export function formatCassandraPlan(plan: CassandraCopyPlan, format: OutputFormat): string {
  const rowCount = number.format(plan.sourceRowCount);
  return formatFields(plan, cassandraRows, format, [
    `${plan.name}: ${table(plan.source)} → ${table(plan.destination)}, ${rowCount} rows rewritten under the destination's key, ` +
      `then both tables read whole to compare their row counts and checksums. Counting the rows read the whole source table once.`,
  ]);
}
