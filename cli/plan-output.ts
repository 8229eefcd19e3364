import { describePlan, type ContainerRef, type CopyPlan } from "../engine";
import type { OutputFormat } from "./output";

/**
 * `create --dry-run`: the plan as a table of its fields followed by its one-line summary, as the engine's
 * `CopyPlan` in JSON, or as one TSV line of the table's values in its order. A value the plan has not (the
 * rate of a container without provisioned throughput) shows as "-" and as an empty TSV field.
 */
const where = (ref: ContainerRef) => `${ref.database}/${ref.container}`;

const rows: [label: string, value: (plan: CopyPlan) => string | number | undefined][] = [
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

const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function shown(value: string | number | undefined): string {
  if (value === undefined) return "-";
  return typeof value === "number" ? number.format(value) : value;
}

export function formatPlan(plan: CopyPlan, format: OutputFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify(plan, null, 2) + "\n";
    case "tsv":
      return rows.map(([, value]) => String(value(plan) ?? "")).join("\t") + "\n";
    case "table": {
      const width = Math.max(...rows.map(([label]) => label.length));
      const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${shown(value(plan))}`);
      const warnings = (plan.analysis?.warnings ?? []).map((warning) => `warning: ${warning}`);
      return (
        [...lines, "", describePlan(plan), ...warnings, "Dry run: no job was created."].join("\n") + "\n"
      );
    }
  }
}
