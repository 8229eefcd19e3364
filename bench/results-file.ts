import * as fs from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";

const benchDirectory = path.join(__dirname, "..", "..", "bench");

/** Where a run's chart goes: beside RESULTS.md, which links it by this name. */
export const chartFileName = "results-chart.svg";

/** The heading of RESULTS.md's last section, the Cassandra tables'; everything before it is the NoSQL runs'. */
export const cassandraSectionHeading = "## Cassandra tables";

/** What one run measured, as RESULTS.md's parts: the NoSQL runs (with their chart), the Cassandra tables'. */
export interface ResultsParts {
  nosql?: { markdown: string; chart: string | undefined };
  cassandra?: string;
}

/** The file's NoSQL part and Cassandra section as they stand. */
function existingParts(file: string): { nosql: string; cassandra: string } {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const at = text.indexOf(`\n${cassandraSectionHeading}\n`);
  return at < 0
    ? { nosql: text, cassandra: "" }
    : { nosql: text.slice(0, at + 1), cassandra: text.slice(at + 1) };
}

/**
 * bench/RESULTS.md, formatted as the repository's `prettier --check` expects, so the lint stays green, and
 * the run's chart beside it (when the run drew one). A run that skipped one of the parts keeps that part of
 * the file as it was, so the NoSQL and Cassandra figures can be measured apart. Returns the files written.
 */
export async function writeResultsFile(parts: ResultsParts): Promise<string[]> {
  const file = path.join(benchDirectory, "RESULTS.md");
  const existing = existingParts(file);
  const markdown = [parts.nosql?.markdown ?? existing.nosql, parts.cassandra ?? existing.cassandra]
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .join("\n\n");
  const config = await prettier.resolveConfig(file);
  fs.writeFileSync(file, await prettier.format(`${markdown}\n`, { ...config, filepath: file }));
  const chart = parts.nosql?.chart;
  if (chart === undefined) return [file];
  const chartFile = path.join(benchDirectory, chartFileName);
  fs.writeFileSync(chartFile, chart);
  return [file, chartFile];
}
