import { spawn } from "node:child_process";
import * as path from "node:path";
import type { AccountConnection } from "../engine";
import { workerEnvironment } from "../engine/worker-launcher";
import { exited } from "../test/support/worker-process";
import { peakRssMb } from "./measure/peak-rss";

/**
 * A copy worker in its own process, started the way `ensureWorker` starts one (worker-main.js, connection in
 * the environment), but owned by the bench: it never idles out on its own, and the bench stops it (SIGTERM,
 * the graceful path) or kills it (SIGKILL, a crash).
 */
export interface WorkerProcess {
  /** Peak RSS so far; read it before stopping the worker. */
  peakRssMb(): number | undefined;
  /** False once the process has exited, for whatever reason. */
  alive(): boolean;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const workerMain = path.join(__dirname, "..", "engine", "worker-main.js");
const neverIdleOutMs = 24 * 60 * 60 * 1000;

export function startWorkerProcess(
  connection: AccountConnection & { key: string },
  workerId: string,
): WorkerProcess {
  const child = spawn(process.execPath, [workerMain], {
    env: {
      ...process.env,
      [workerEnvironment.endpoint]: connection.endpoint,
      [workerEnvironment.key]: connection.key,
      [workerEnvironment.workerId]: workerId,
      [workerEnvironment.idleTimeoutMs]: String(neverIdleOutMs),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals) => {
    if (alive()) child.kill(name);
    await exited(child);
  };
  return {
    peakRssMb: () => (child.pid === undefined ? undefined : peakRssMb(child.pid)),
    alive,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}
