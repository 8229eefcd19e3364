import { describeLimit, type JobRecord } from "../engine";
import type { JobsApi } from "./jobs-api";
import { toDataTransferJob, type DataStore, type DataTransferJobResource } from "./job-resource";

/**
 * `--output table|json|tsv`, as in az: JSON is the service's resource shape (an object for one job, an array
 * for `list`); TSV is the table's columns without a header, one job per line, for `cut` and `read`.
 */
export const outputFormats = ["table", "json", "tsv"] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** `write 1500 RU/s; read 25% of provisioned throughput`, or empty when the job has no caps. */
function throughputLimits(job: DataTransferJobResource): string {
  const { targetThroughputLimit: write, sourceThroughputLimit: read } = job.properties;
  return [write && `write ${describeLimit(write)}`, read && `read ${describeLimit(read)}`]
    .filter(Boolean)
    .join("; ");
}

/** `shop/orders`, `shop/orders@oldaccount` for a source in another account, and `shop.orders` for a table. */
function dataStoreName(store: DataStore): string {
  if (store.component === "CosmosDBCassandra") return `${store.keyspaceName}.${store.tableName}`;
  const name = `${store.databaseName}/${store.containerName}`;
  return store.remoteAccountName ? `${name}@${store.remoteAccountName}` : name;
}

const columns: [header: string, value: (job: DataTransferJobResource) => string | number][] = [
  ["Name", (j) => j.name],
  ["Status", (j) => j.properties.status],
  ["Processed", (j) => j.properties.processedCount],
  ["Total", (j) => j.properties.totalCount],
  ["Duration", (j) => j.properties.duration],
  ["Source", (j) => dataStoreName(j.properties.source)],
  ["Destination", (j) => dataStoreName(j.properties.destination)],
  ["Mode", (j) => j.properties.mode],
  ["Workers", (j) => j.properties.workerCount],
  ["LastUpdatedUtc", (j) => j.properties.lastUpdatedUtcTime],
  ["Error", (j) => j.properties.error?.code ?? ""],
  ["ThroughputLimits", (j) => throughputLimits(j)],
  // Online jobs only; after the columns scripts already cut, so their positions stay.
  ["Phase", (j) => j.properties.online?.phase ?? ""],
  ["AppliedChanges", (j) => j.properties.online?.appliedChanges ?? ""],
  ["LagChanges", (j) => j.properties.online?.lag?.changes ?? ""],
  ["LagSeconds", (j) => j.properties.online?.lag?.seconds ?? ""],
];

/** The TSV column order, for help texts. */
export const tsvColumns = columns.map(([header]) => header).join(", ");

function cells(job: DataTransferJobResource): string[] {
  return columns.map(([, value]) => String(value(job)));
}

/** Tabs and line breaks inside a value would shift every later column. */
function tsvLine(job: DataTransferJobResource): string {
  return cells(job)
    .map((cell) => cell.replace(/[\t\r\n]/g, " "))
    .join("\t");
}

function table(rows: string[][]): string {
  const headers = columns.map(([header]) => header);
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

/** `api`: where the jobs were looked for, to say so when there are none. */
export function formatJobs(
  jobs: JobRecord | JobRecord[],
  format: OutputFormat,
  api: JobsApi = "NoSQL",
): string {
  const resources = (Array.isArray(jobs) ? jobs : [jobs]).map(toDataTransferJob);
  switch (format) {
    case "json":
      return JSON.stringify(Array.isArray(jobs) ? resources : resources[0], null, 2) + "\n";
    case "tsv":
      return resources.map((job) => tsvLine(job) + "\n").join("");
    case "table": {
      if (resources.length === 0) {
        return `No copy jobs in this ${api === "Cassandra" ? "cluster" : "account"}.\n`;
      }
      // The Error column has room for the code only; people reading a table need the message too.
      const errors = resources.flatMap((job) =>
        job.properties.error
          ? [`${job.name}: ${job.properties.error.code}: ${job.properties.error.message}\n`]
          : [],
      );
      return table(resources.map(cells)) + (errors.length > 0 ? "\n" + errors.join("") : "");
    }
  }
}
