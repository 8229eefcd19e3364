import * as fs from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";

const benchDirectory = path.join(__dirname, "..", "..", "bench");

/** Where a run's chart goes: beside RESULTS.md, which links it by this name. */
export const chartFileName = "results-chart.svg";

/**
 * bench/RESULTS.md, formatted as the repository's `prettier --check` expects, so the lint stays green, and
 * the run's chart beside it (when the run drew one). Returns the files written.
 */
export async function writeResultsFile(markdown: string, chart: string | undefined): Promise<string[]> {
  const file = path.join(benchDirectory, "RESULTS.md");
  const config = await prettier.resolveConfig(file);
  fs.writeFileSync(file, await prettier.format(markdown, { ...config, filepath: file }));
  if (chart === undefined) return [file];
  const chartFile = path.join(benchDirectory, chartFileName);
  fs.writeFileSync(chartFile, chart);
  return [file, chartFile];
}
