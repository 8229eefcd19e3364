import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { ContainerRef } from "../../engine";
import { workerEnvironment } from "../../engine/worker-process";
import type { BenchEndpoint } from "../endpoint";

/**
 * Runs copier (a) or (b) as the program a user would run: its own process, timed from launch to exit. The
 * engine's workers are timed from their launch too, so start-up costs weigh the same on every side.
 */
export interface ScriptTask {
  copier: "naive" | "tuned-bulk";
  source: ContainerRef;
  target: ContainerRef;
  targetPartitionKeyPath: string;
}

const scriptMain = path.join(__dirname, "script-main.js");

export async function runScript(bench: BenchEndpoint, task: ScriptTask): Promise<{ seconds: number }> {
  const started = performance.now();
  await promisify(execFile)(process.execPath, [scriptMain, JSON.stringify(task)], {
    env: {
      ...process.env,
      [workerEnvironment.endpoint]: bench.connection.endpoint,
      [workerEnvironment.key]: bench.connection.key,
    },
  });
  return { seconds: (performance.now() - started) / 1000 };
}
