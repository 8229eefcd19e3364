import * as fs from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";

/** bench/RESULTS.md, formatted as the repository's `prettier --check` expects, so the lint stays green. */
export async function writeResultsFile(markdown: string): Promise<string> {
  const file = path.join(__dirname, "..", "..", "bench", "RESULTS.md");
  const config = await prettier.resolveConfig(file);
  fs.writeFileSync(file, await prettier.format(markdown, { ...config, filepath: file }));
  return file;
}
