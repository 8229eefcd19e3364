import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cassandraEnvironmentOf, cassandraVariables, type CassandraConnection } from "./cassandra/connection";
import { canReadSource, noWorkerForSource } from "./source-account";
import type { StateStore } from "./state-store";
import type { AccountConnection, JobRecord } from "./types";
import { liveWithin } from "./worker";

/**
 * The one way a worker process is started, by the engine (`create` and `resume` start the workers a job
 * wants), the tests and the bench: `worker-main.js` with the connection in its environment. The key
 * reaches it that way, never on its command line, which every user of the machine can read.
 */
const connectionFields = ["endpoint", "key", "caCertificate", "insecureTls"] as const;
type ConnectionVariables = Record<(typeof connectionFields)[number], string>;

export const workerEnvironment = {
  endpoint: "COSMOS_ENDPOINT",
  key: "COSMOS_KEY",
  caCertificate: "COSMOS_COPY_CA_CERT",
  insecureTls: "COSMOS_COPY_INSECURE_TLS",
  idleTimeoutMs: "COSMOS_COPY_IDLE_TIMEOUT_MS",
  /** A restarted worker that keeps its id takes its unexpired leases back at once. */
  workerId: "COSMOS_COPY_WORKER_ID",
} as const satisfies ConnectionVariables & Record<string, string>;

/**
 * The other account a worker can read the source of cross-account jobs from (see `SourceAccountRecord`),
 * given like its own account's connection. Not the CLI's COSMOS_SOURCE_KEY: a worker reads another account
 * only when whoever starts it says so.
 */
export const workerSourceEnvironment = {
  endpoint: "COSMOS_COPY_SOURCE_ENDPOINT",
  key: "COSMOS_COPY_SOURCE_KEY",
  caCertificate: "COSMOS_COPY_SOURCE_CA_CERT",
  insecureTls: "COSMOS_COPY_SOURCE_INSECURE_TLS",
} as const satisfies ConnectionVariables;

/** Where a worker's jobs live: a NoSQL account, or a Cassandra cluster. */
export type JobsHome = AccountConnection | CassandraConnection;

export function isCassandraHome(home: JobsHome): home is CassandraConnection {
  return "contactPoints" in home;
}

/** Which backend a worker process serves: "cassandra", or NoSQL when unset. */
export const workerApiVariable = "COSMOS_COPY_WORKER_API";

export interface WorkerProcessOptions {
  workerId?: string;
  /** The source account of the cross-account jobs it may run; without it, it runs same-account jobs only. */
  sourceAccount?: AccountConnection;
  idleTimeoutMs?: number;
  /**
   * "background": detached, outliving whoever started it, output to a log file under
   * `workerLogDirectory()` (what `create` does). "owned": a child of this process, its stderr passed
   * through (tests and the bench, which stop or kill it).
   */
  mode: "background" | "owned";
}

export interface WorkerProcess {
  readonly pid: number | undefined;
  /** False once the process has exited, for whatever reason. */
  alive(): boolean;
  /** Resolves with the exit code (null after a signal). */
  exited(): Promise<number | null>;
  /** SIGTERM, the graceful stop; resolves when it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, a crash; resolves when it has exited. */
  kill(): Promise<void>;
}

const workerMain = path.join(__dirname, "worker-main.js");
/**
 * V8 settings for a worker process. A heap limit under 2 GB makes V8 grow the heap by at most about 2× its
 * live size instead of 4× (measured: peak RSS 280 → 180 MB copying 100,000 × 1 KB items); 1.5 GB still
 * holds several pages of the largest items. Collecting on the worker's own thread keeps the garbage
 * collector off the cores the endpoint's threads need (measured: the copy ran 5–10 % faster).
 */
const workerArguments = ["--max-old-space-size=1536", "--single-threaded-gc", workerMain];
/** The workers' heartbeat period (the worker's default), for telling which are alive. */
const heartbeatIntervalMs = 5_000;

export function workerLogDirectory(): string {
  return path.join(os.tmpdir(), "cosmos-copy");
}

/** Puts `connection` in `env` under `names`, replacing whatever this process inherited there. */
function setConnection(
  env: NodeJS.ProcessEnv,
  names: ConnectionVariables,
  connection: AccountConnection | undefined,
): void {
  // Only the connection's variables: `workerEnvironment` names the worker's other settings too.
  for (const field of connectionFields) delete env[names[field]];
  if (!connection) return;
  env[names.endpoint] = connection.endpoint;
  if (connection.key !== undefined) env[names.key] = connection.key;
  if (connection.caCertificate) env[names.caCertificate] = connection.caCertificate;
  if (connection.insecureTls) env[names.insecureTls] = "1";
}

function environmentFor(home: JobsHome, options: WorkerProcessOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Only the home's connection reaches the worker: whatever this process inherited of the other kind's goes.
  for (const name of Object.values(cassandraVariables)) delete env[name];
  delete env[workerApiVariable];
  if (isCassandraHome(home)) {
    setConnection(env, workerEnvironment, undefined);
    Object.assign(env, cassandraEnvironmentOf(home), { [workerApiVariable]: "cassandra" });
  } else setConnection(env, workerEnvironment, home);
  setConnection(env, workerSourceEnvironment, options.sourceAccount);
  if (options.workerId) env[workerEnvironment.workerId] = options.workerId;
  if (options.idleTimeoutMs) env[workerEnvironment.idleTimeoutMs] = String(options.idleTimeoutMs);
  return env;
}

function spawnWorker(env: NodeJS.ProcessEnv, mode: WorkerProcessOptions["mode"]): ChildProcess {
  if (mode === "owned") {
    return spawn(process.execPath, workerArguments, {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  fs.mkdirSync(workerLogDirectory(), { recursive: true });
  const logFile = path.join(workerLogDirectory(), `worker-${Date.now()}-${process.pid}.log`);
  const log = fs.openSync(logFile, "a");
  try {
    const child = spawn(process.execPath, workerArguments, {
      detached: true,
      stdio: ["ignore", log, log],
      env,
    });
    child.unref();
    return child;
  } finally {
    fs.closeSync(log);
  }
}

export function startWorkerProcess(home: JobsHome, options: WorkerProcessOptions): WorkerProcess {
  const child = spawnWorker(environmentFor(home, options), options.mode);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const exited = () =>
    alive()
      ? new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      : Promise.resolve(child.exitCode);
  const signal = async (name: NodeJS.Signals) => {
    if (alive()) child.kill(name);
    await exited();
  };
  return {
    pid: child.pid,
    alive,
    exited,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}

/**
 * Starts background workers until as many as `job` wants are alive in the account and able to run it (for a
 * cross-account job: able to read its source, so they get `sourceAccount`); returns the pids it started.
 * Refused when a cross-account job needs workers and there is no `sourceAccount` to give them.
 */
export async function ensureWorkers(
  store: StateStore,
  home: JobsHome,
  job: Pick<JobRecord, "name" | "status" | "sourceAccount" | "options">,
  sourceAccount?: AccountConnection,
): Promise<number[]> {
  const live = await store.liveWorkers(Date.now() - liveWithin(heartbeatIntervalMs));
  const able = live.filter((worker) => canReadSource(worker.sourceAccounts, job)).length;
  const missing = Math.max(0, job.options.workerCount - able);
  if (missing > 0 && job.sourceAccount && !sourceAccount) throw noWorkerForSource(job);
  return Array.from(
    { length: missing },
    () =>
      startWorkerProcess(home, {
        mode: "background",
        ...(job.sourceAccount ? { sourceAccount } : {}),
      }).pid as number,
  );
}
