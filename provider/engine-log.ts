import { createRequire } from "node:module";
import * as path from "node:path";

/**
 * Messages from the provider to the Pulumi engine, attached to the job's resource: the plan during
 * `preview`, the copy's progress during `up`. The dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`)
 * is started with the engine's address as its one argument but gives providers no logger: `pulumi.log` needs
 * a program's runtime settings, and what a provider prints lands on the stack, not on its resource. So this
 * calls the engine's `Log` RPC with the SDK's own generated client and the resource's URN. Ephemeral
 * messages replace each other on the resource's line while it works and are not kept in the diagnostics;
 * the others are. Outside the host (unit tests call the hooks directly) messages go nowhere.
 */
export interface EngineLog {
  info(urn: string | undefined, message: string, options?: { ephemeral?: boolean }): Promise<void>;
  /** Shown among the resource's warnings, where `pulumi preview` and `up` summarise what needs attention. */
  warn(urn: string | undefined, message: string): Promise<void>;
}

type Severity = "INFO" | "WARNING";

interface EngineClient {
  log(request: unknown, done: (error: Error | null) => void): void;
}

const dynamicProviderHost = path.join("@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js");

function engineAddress(): string | undefined {
  const main = require.main?.filename ?? "";
  return main.endsWith(dynamicProviderHost) ? process.argv[2] : undefined;
}

function connect(address: string): {
  client: EngineClient;
  request: (urn: string, message: string, ephemeral: boolean, severity: Severity) => unknown;
} {
  // The SDK's generated gRPC modules and its copy of grpc-js, so messages are built by the same classes.
  const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));
  const grpc = sdkRequire("@grpc/grpc-js");
  const { EngineClient } = sdkRequire("./proto/engine_grpc_pb");
  const { LogRequest, LogSeverity } = sdkRequire("./proto/engine_pb");
  const client = new EngineClient(address, grpc.credentials.createInsecure()) as EngineClient;
  return {
    client,
    request: (urn, message, ephemeral, severity) => {
      const request = new LogRequest();
      request.setSeverity(LogSeverity[severity]);
      request.setMessage(message);
      request.setUrn(urn);
      request.setEphemeral(ephemeral);
      return request;
    },
  };
}

let connection: ReturnType<typeof connect> | undefined;

async function send(urn: string | undefined, message: string, ephemeral: boolean, severity: Severity) {
  const address = engineAddress();
  if (!address || !urn) return;
  connection ??= connect(address);
  const { client, request } = connection;
  // A message that cannot be delivered is not worth failing the copy for.
  await new Promise<void>((resolve) =>
    client.log(request(urn, message, ephemeral, severity), () => resolve()),
  );
}

export const engineLog: EngineLog = {
  info: (urn, message, options = {}) => send(urn, message, options.ephemeral === true, "INFO"),
  warn: (urn, message) => send(urn, message, false, "WARNING"),
};
