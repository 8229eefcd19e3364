import { startWorkerProcess as startEngineWorker, type JobsHome } from "../engine/worker-process";
import { processCpuSeconds } from "./measure/cpu-time";
import { peakRssMb } from "./measure/peak-rss";

/**
 * A copy worker in its own process, started as the engine starts one, but owned by the bench: it never idles
 * out on its own, and the bench stops it (SIGTERM, the graceful path) or kills it (SIGKILL, a crash).
 */
export interface WorkerProcess {
  /** Peak RSS so far; read it before stopping the worker. */
  peakRssMb(): number | undefined;
  /** CPU seconds used so far; read it before stopping the worker. */
  cpuSeconds(): number | undefined;
  /** False once the process has exited, for whatever reason. */
  alive(): boolean;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const neverIdleOutMs = 24 * 60 * 60 * 1000;

/** A worker for the jobs of `home`: a NoSQL account, or a Cassandra cluster. */
export function startWorkerProcess(home: JobsHome, workerId: string): WorkerProcess {
  const worker = startEngineWorker(home, { mode: "owned", workerId, idleTimeoutMs: neverIdleOutMs });
  return {
    peakRssMb: () => (worker.pid === undefined ? undefined : peakRssMb(worker.pid)),
    cpuSeconds: () => (worker.pid === undefined ? undefined : processCpuSeconds(worker.pid)),
    alive: () => worker.alive(),
    stop: () => worker.stop(),
    kill: () => worker.kill(),
  };
}
