import { CassandraBackend } from "./cassandra/backend";
import { cassandraConnectionFromEnvironment } from "./cassandra/connection";
import type { AccountConnection } from "./types";
import { workerApiVariable, workerEnvironment, workerSourceEnvironment } from "./worker-process";
import { CopyWorker, type WhereJobsLive } from "./worker";

/**
 * Entry point of a background worker process (started by `startWorkerProcess`): its account's connection,
 * and the source account's if it was given one, come from the environment.
 */

/** A connection from the variables `names`; without a key it signs in with DefaultAzureCredential. */
async function connectionIn(
  env: NodeJS.ProcessEnv,
  names: typeof workerEnvironment | typeof workerSourceEnvironment,
  endpoint: string,
): Promise<AccountConnection> {
  const tls = {
    caCertificate: env[names.caCertificate] || undefined,
    insecureTls: env[names.insecureTls] === "1",
  };
  const key = env[names.key];
  if (key) return { endpoint, key, ...tls };
  // Loaded on demand: @azure/identity is heavy, and a worker's start-up is part of every job's time.
  const { DefaultAzureCredential } = await import("@azure/identity");
  return { endpoint, credential: new DefaultAzureCredential(), ...tls };
}

export async function connectionFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AccountConnection> {
  const endpoint = env[workerEnvironment.endpoint];
  if (!endpoint) throw new Error(`${workerEnvironment.endpoint} is not set: give the account endpoint.`);
  return connectionIn(env, workerEnvironment, endpoint);
}

/** The source account of the cross-account jobs the worker may run, if it was given one. */
export async function sourceAccountFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<AccountConnection | undefined> {
  const endpoint = env[workerSourceEnvironment.endpoint];
  return endpoint ? connectionIn(env, workerSourceEnvironment, endpoint) : undefined;
}

/** A Cassandra cluster's backend, or a NoSQL account's connections, as `workerApiVariable` says. */
async function jobsHomeFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<WhereJobsLive> {
  if (env[workerApiVariable] !== "cassandra") {
    return {
      connection: await connectionFromEnvironment(env),
      sourceAccount: await sourceAccountFromEnvironment(env),
    };
  }
  const connection = cassandraConnectionFromEnvironment(env);
  if (!connection) throw new Error("CASSANDRA_CONTACT_POINTS is not set: give the cluster's contact points.");
  return { backend: new CassandraBackend(connection) };
}

export async function runWorkerFromEnvironment(): Promise<void> {
  const idle = Number(process.env[workerEnvironment.idleTimeoutMs]);
  const worker = new CopyWorker({
    ...(await jobsHomeFromEnvironment()),
    workerId: process.env[workerEnvironment.workerId] || undefined,
    idleTimeoutMs: Number.isFinite(idle) && idle > 0 ? idle : undefined,
    log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.on("SIGTERM", () => worker.stop());
  process.on("SIGINT", () => worker.stop());
  const exit = await worker.run();
  process.stdout.write(`${new Date().toISOString()} worker ${worker.id} exited (${exit})\n`);
}

if (require.main === module) {
  runWorkerFromEnvironment().catch((error: unknown) => {
    process.stderr.write(`cosmos-copy worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
