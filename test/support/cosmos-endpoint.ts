import { CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorAdmin, startEmulator, type EmulatorOptions } from "../../emulator";

/**
 * The Cosmos DB endpoint a suite runs against: the account in COSMOS_ENDPOINT / COSMOS_KEY when set (the
 * official emulator or Azure), otherwise a fresh `cosmos-emulator` in a temporary directory. Suites talk to
 * it only through the official SDK; `admin` (fault and region controls) exists only for the local emulator.
 */
export interface TestEndpoint {
  endpoint: string;
  key: string;
  clientOptions: CosmosClientOptions;
  client: CosmosClient;
  admin?: EmulatorAdmin;
  /** The local emulator's data directory and restart, to prove persistence. */
  dataDir?: string;
  restart?: () => Promise<void>;
  stop(): Promise<void>;
}

export type LocalOptions = Omit<EmulatorOptions, "dataDir" | "port">;

export const usingExternalEndpoint = Boolean(process.env.COSMOS_ENDPOINT);

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

function clientOptionsFor(endpoint: string, key: string, certificate?: string): CosmosClientOptions {
  return {
    endpoint,
    key,
    ...(certificate ? { agent: new https.Agent({ ca: certificate, keepAlive: true }) } : {}),
    connectionPolicy: { enableEndpointDiscovery: true },
  };
}

export async function openEndpoint(local: LocalOptions = {}): Promise<TestEndpoint> {
  if (usingExternalEndpoint) {
    const endpoint = process.env.COSMOS_ENDPOINT as string;
    const key = process.env.COSMOS_KEY ?? "";
    const clientOptions = clientOptionsFor(endpoint, key);
    const client = new CosmosClient(clientOptions);
    return { endpoint, key, clientOptions, client, stop: async () => client.dispose() };
  }
  const dataDir = tempDir("cosmos-emulator");
  let emulator = await startEmulator({ ...local, dataDir });
  const port = Number(new URL(emulator.endpoint).port);
  const clientOptions = clientOptionsFor(emulator.endpoint, emulator.key, emulator.certificate);
  const endpoint: TestEndpoint = {
    endpoint: emulator.endpoint,
    key: emulator.key,
    clientOptions,
    client: new CosmosClient(clientOptions),
    admin: new EmulatorAdmin(emulator.endpoint, emulator.key, emulator.certificate),
    dataDir,
    restart: async () => {
      await emulator.stop();
      emulator = await startEmulator({ ...local, dataDir, port });
    },
    stop: async () => {
      endpoint.client.dispose();
      await emulator.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return endpoint;
}

/** A database name no other run uses, so suites can share an external account. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
