import type { CosmosClient } from "@azure/cosmos";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { EmulatorAdmin, wellKnownKey } from "../emulator";
import { createCosmosClient } from "../engine/connection";
import type { AccountConnection } from "../engine";
import { exited } from "../test/support/worker-process";
import { mainThreadCpuSeconds } from "./measure/cpu-time";

/**
 * The account every measurement runs against: the one in COSMOS_ENDPOINT / COSMOS_KEY when set, otherwise a
 * cosmos-emulator in its own process. Out of process because the machine has few cores: a client and the
 * emulator sharing one event loop would measure the emulator's scheduling, not the client.
 */
export interface BenchEndpoint {
  connection: AccountConnection & { key: string };
  /** Built like the engine's own client, so every copier talks to the account the same way. */
  client: CosmosClient;
  /** cosmos-emulator's request statistics; absent on another endpoint. */
  admin?: EmulatorAdmin;
  /** CPU seconds of the local emulator's main thread so far; absent on another endpoint. */
  emulatorCpuSeconds?: () => number | undefined;
  /** What the report calls the endpoint. */
  description: string;
  stop(): Promise<void>;
}

const emulatorBin = path.join(__dirname, "..", "..", "bin", "cosmos-emulator.js");

async function startEmulatorProcess(partitions: number): Promise<BenchEndpoint> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cosmos-copy-bench-"));
  const child = spawn(
    process.execPath,
    [emulatorBin, "--data-dir", dataDir, "--port", "0", "--http", "--partitions", String(partitions)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const ready = /^cosmos-emulator ready at (\S+)/.exec(line);
      if (ready) resolve(ready[1]);
    });
    child.once("exit", (code) =>
      reject(new Error(`cosmos-emulator exited with ${code} before it was ready`)),
    );
  });
  const connection = { endpoint, key: wellKnownKey };
  const client = createCosmosClient(connection);
  return {
    connection,
    client,
    admin: new EmulatorAdmin(endpoint, wellKnownKey),
    emulatorCpuSeconds: () => (child.pid === undefined ? undefined : mainThreadCpuSeconds(child.pid)),
    description: `cosmos-emulator (own process, HTTP, ${partitions} partitions per container)`,
    stop: async () => {
      client.dispose();
      child.kill("SIGTERM");
      // An emulator deep in one long request answers SIGTERM only after it; the bench has no use for it.
      const killLater = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited(child);
      clearTimeout(killLater);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openBenchEndpoint(partitions: number): Promise<BenchEndpoint> {
  const external = process.env.COSMOS_ENDPOINT;
  if (!external) return startEmulatorProcess(partitions);
  const connection = { endpoint: external, key: process.env.COSMOS_KEY ?? "" };
  const client = createCosmosClient(connection);
  return {
    connection,
    client,
    description: `${new URL(external).host} (COSMOS_ENDPOINT)`,
    stop: async () => client.dispose(),
  };
}
