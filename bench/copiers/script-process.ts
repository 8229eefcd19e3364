import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { ContainerRef } from "../../engine";
import { workerEnvironment } from "../../engine/worker-process";
import type { BenchEndpoint } from "../endpoint";

/**
 * Runs copier (a) or (b), or the raw write ceiling, as the program a user would run: its own process, timed
 * from launch to exit. The engine's workers are timed from their launch too, so start-up costs weigh the
 * same on every side.
 */
export type ScriptTask =
  | {
      copier: "naive" | "tuned-bulk";
      source: ContainerRef;
      target: ContainerRef;
      targetPartitionKeyPath: string;
    }
  | { copier: "raw-writes"; sourceId: string; items: number; target: ContainerRef };

/** What a script prints as its last line: its own CPU time, read from /proc at its end. */
export interface ScriptReport {
  cpuSeconds?: number;
}

const scriptMain = path.join(__dirname, "script-main.js");

export function runScript(
  bench: BenchEndpoint,
  task: ScriptTask,
): Promise<{ seconds: number } & ScriptReport> {
  return runScriptProgram(scriptMain, task, {
    [workerEnvironment.endpoint]: bench.connection.endpoint,
    [workerEnvironment.key]: bench.connection.key,
  });
}

/**
 * Runs the copier program `main` with `task` as JSON in argv[2] and `connection` (the variables that reach
 * the account or cluster) in its environment, never on its command line; its last line on stdout is its
 * `ScriptReport`.
 */
export async function runScriptProgram(
  main: string,
  task: unknown,
  connection: NodeJS.ProcessEnv,
): Promise<{ seconds: number } & ScriptReport> {
  const started = performance.now();
  const { stdout } = await promisify(execFile)(process.execPath, [main, JSON.stringify(task)], {
    env: { ...process.env, ...connection },
  });
  const seconds = (performance.now() - started) / 1000;
  const lines = stdout.trim().split("\n");
  return { seconds, ...(JSON.parse(lines[lines.length - 1]) as ScriptReport) };
}
