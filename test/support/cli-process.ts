import type { CosmosClient } from "@azure/cosmos";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cassandraVariables } from "../../engine/cassandra/connection";
import { CosmosStateStore } from "../../engine/state-store";
import type { TestEndpoint } from "./cosmos-endpoint";
import { until } from "./until";

/** `bin/cosmos-copy.js`, run as users run it: a child process of node. */
export const cliBin = path.join(__dirname, "..", "..", "..", "bin", "cosmos-copy.js");

/**
 * `env` without the CASSANDRA_* variables: a suite of NoSQL commands run where a Cassandra node is set up
 * too (CASSANDRA_CONTACT_POINTS exported) would otherwise have both it and COSMOS_ENDPOINT, which the CLI
 * refuses as ambiguous.
 */
export function withoutCassandra(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const names = new Set<string>(Object.values(cassandraVariables));
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.has(name)));
}

/** The environment `cosmos-copy` runs in against `cosmos`: its endpoint and key, as users give them. */
export function cliEnvironment(cosmos: TestEndpoint): NodeJS.ProcessEnv {
  return {
    ...withoutCassandra(process.env),
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    // The background workers `create` starts exit soon after the last job, so none outlives the suite.
    COSMOS_COPY_IDLE_TIMEOUT_MS: "2000",
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cosmos-copy args` to the end on pipes, in `cwd` (default this process's); what it printed is pushed
 * to `printed` (for secret checks).
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  printed: string[],
  cwd?: string,
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliBin, ...args], { env, cwd }, (error, stdout, stderr) => {
      printed.push(stdout, stderr);
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

export interface StartedProcess {
  child: ChildProcess;
  /** What it printed so far. */
  output: { stdout: string; stderr: string };
  /** Its exit code, once it exits; what it printed is then pushed to `printed`. */
  done: Promise<number | null>;
}

/** Starts `command args` on pipes and collects its output as it comes (`cosmos-copy`: node with `cliBin`). */
export function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  printed: string[],
): StartedProcess {
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const done = new Promise<number | null>((resolve) => child.once("exit", resolve)).then((code) => {
    printed.push(output.stdout, output.stderr);
    return code;
  });
  return { child, output, done };
}

/**
 * The background workers `create` started are detached processes: stops those of this machine still
 * running before their endpoint goes away (SIGTERM, then SIGKILL for any still there after 10 s).
 */
export async function stopBackgroundWorkers(client: CosmosClient): Promise<void> {
  const workers = await (
    await CosmosStateStore.open(client)
  )
    .liveWorkers(Date.now() - 60_000)
    .catch(() => []);
  // Only worker processes of this machine: a heartbeat may also name an in-process worker of the suite
  // itself (its pid is this process's), which must not be signalled, let alone waited for.
  const ours = workers.filter(
    ({ pid, host }) =>
      host === os.hostname() &&
      fs.existsSync(`/proc/${pid}/cmdline`) &&
      fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker-main.js"),
  );
  for (const { pid } of ours) process.kill(pid, "SIGTERM");
  const alive = () => ours.filter(({ pid }) => fs.existsSync(`/proc/${pid}`));
  await until(
    async () => alive().length,
    (count) => count === 0,
    "workers to exit",
    10_000,
  ).catch(() => alive().forEach(({ pid }) => process.kill(pid, "SIGKILL")));
}
