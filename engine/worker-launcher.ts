import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { StateStore } from "./state-store";
import type { AccountConnection } from "./types";
import { liveWithin } from "./worker";

/**
 * Creating a job starts a worker when none is alive, as the service starts its server-side instances. The
 * worker is a detached process so it outlives the CLI or the Pulumi provider that asked for it. The key
 * reaches it through its environment (never its command line, which every user of the machine can read).
 */
export const workerEnvironment = {
  endpoint: "COSMOS_ENDPOINT",
  key: "COSMOS_KEY",
  caCertificate: "COSMOS_COPY_CA_CERT",
  insecureTls: "COSMOS_COPY_INSECURE_TLS",
  idleTimeoutMs: "COSMOS_COPY_IDLE_TIMEOUT_MS",
  /** A restarted worker that keeps its id takes its unexpired leases back at once. */
  workerId: "COSMOS_COPY_WORKER_ID",
} as const;

const heartbeatIntervalMs = 5_000;

export function workerLogDirectory(): string {
  return path.join(os.tmpdir(), "cosmos-copy");
}

/** Starts a background worker unless one is alive; returns its pid, or undefined if none was needed. */
export async function ensureWorker(
  store: StateStore,
  connection: AccountConnection,
): Promise<number | undefined> {
  if ((await store.liveWorkers(liveWithin(heartbeatIntervalMs))).length > 0) return undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, [workerEnvironment.endpoint]: connection.endpoint };
  if (connection.key !== undefined) env[workerEnvironment.key] = connection.key;
  else delete env[workerEnvironment.key];
  if (connection.caCertificate) env[workerEnvironment.caCertificate] = connection.caCertificate;
  if (connection.insecureTls) env[workerEnvironment.insecureTls] = "1";
  fs.mkdirSync(workerLogDirectory(), { recursive: true });
  const log = fs.openSync(path.join(workerLogDirectory(), `worker-${Date.now()}.log`), "a");
  const child = spawn(process.execPath, [path.join(__dirname, "worker-main.js")], {
    detached: true,
    stdio: ["ignore", log, log],
    env,
  });
  child.unref();
  fs.closeSync(log);
  return child.pid;
}
