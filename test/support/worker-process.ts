import type { Container } from "@azure/cosmos";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { TestEndpoint } from "./cosmos-endpoint";

/**
 * Copy workers as real processes, for tests that kill them: `worker-main.js` with the connection in its
 * environment, as `ensureWorker` starts them. Keeping the worker id across a restart lets the new process
 * take its predecessor's leases back at once.
 */
const workerMain = path.join(__dirname, "..", "..", "engine", "worker-main.js");

export function startWorkerProcess(
  cosmos: TestEndpoint,
  workerId: string,
  idleTimeoutMs = 1500,
): ChildProcess {
  return spawn(process.execPath, [workerMain], {
    env: {
      ...process.env,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      COSMOS_COPY_WORKER_ID: workerId,
      COSMOS_COPY_IDLE_TIMEOUT_MS: String(idleTimeoutMs),
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Writes a cosmos-emulator container has taken: each write advances its partition's LSN by one. */
export async function writesTaken(target: Container): Promise<number> {
  const { resources } = await target.readPartitionKeyRanges().fetchAll();
  return resources.reduce((sum, range) => sum + Number((range as { lsn?: number }).lsn), 0);
}
