import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { workerLogDirectory } from "../../engine/worker-process";
import { wellKnownKey } from "../../emulator";

/**
 * A mocha root hook: after every suite has run, scan what the run left on disk — background worker logs
 * and the project's local Pulumi state — for the account key the suites used. Suites scan their own
 * captured output (CLI output, Pulumi engine output, exported state) as they go; this catches the rest.
 */
const startedAt = Date.now();

function filesBelow(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export const mochaHooks = {
  afterAll(): void {
    const key = process.env.COSMOS_KEY ?? wellKnownKey;
    const written = [
      ...filesBelow(workerLogDirectory()),
      ...filesBelow(path.resolve(__dirname, "..", "..", "..", ".state")),
    ].filter((file) => fs.statSync(file).mtimeMs >= startedAt);
    const leaks = written.filter((file) => fs.readFileSync(file, "latin1").includes(key));
    assert.deepEqual(leaks, [], "files written during the run must not hold the account key");
    process.stdout.write(
      `  secret scan: ${written.length} files written during the run, none holds the key\n`,
    );
  },
};
