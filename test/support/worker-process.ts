import type { Container } from "@azure/cosmos";
import type { ChildProcess } from "node:child_process";
import { startWorkerProcess as startEngineWorker, type WorkerProcess } from "../../engine/worker-process";
import { CopyWorker } from "../../engine";
import type { TestEndpoint } from "./cosmos-endpoint";

/**
 * Copy workers as real processes, for tests that kill them, started as the engine starts them. Keeping the
 * worker id across a restart lets the new process take its predecessor's leases back at once.
 */
export function startWorkerProcess(
  cosmos: TestEndpoint,
  workerId: string,
  idleTimeoutMs = 1500,
): WorkerProcess {
  const agentCa = (cosmos.clientOptions.agent as { options?: { ca?: string } } | undefined)?.options?.ca;
  return startEngineWorker(
    { endpoint: cosmos.endpoint, key: cosmos.key, caCertificate: agentCa },
    { mode: "owned", workerId, idleTimeoutMs },
  );
}

/**
 * A worker in this process for a whole suite, as a long-lived worker runs: it runs each job, goes idle when
 * the job ends, and takes the next one (or a resumed one) up again. Quick polls and heartbeats keep the
 * suite's waits short.
 */
export function suiteWorker(
  cosmos: TestEndpoint,
  workerId: string,
  log?: (line: string) => void,
): CopyWorker {
  return new CopyWorker({
    connection: { endpoint: cosmos.endpoint, key: cosmos.key },
    workerId,
    idleTimeoutMs: 10 * 60_000,
    pollIntervalMs: 100,
    heartbeatIntervalMs: 300,
    log,
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
