import { randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { loadAccount } from "./account";
import { authenticate } from "./auth";
import { CosmosError, errorBody, errors } from "./errors";
import { FaultInjector } from "./faults";
import { handleAdmin } from "./handlers/admin";
import type { EmulatorContext } from "./handlers/context";
import { authorizeResourceToken } from "./handlers/resource-access";
import { startExpirySweep } from "./handlers/time-to-live";
import {
  classifyPath,
  gatewaySigningLink,
  pathSegments,
  type CosmosRequest,
  type CosmosResponse,
} from "./protocol";
import { QuerySyntaxError } from "./query/parser";
import { FairTurns, takesTurns } from "./request-turns";
import { route } from "./router";
import { ResourceTokens } from "./resource-tokens";
import { RequestStatistics } from "./statistics";
import { SqliteStore } from "./store/sqlite-store";
import { RateLimiter } from "./throughput/rate-limiter";
import { loadOrCreateCertificate } from "./tls";

/** The official emulator's well-known key, accepted by default so existing local tooling works unchanged. */
export const wellKnownKey =
  "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

export interface EmulatorOptions {
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Physical partitions per new container (default 1). */
  partitions?: number;
  serverless?: boolean;
  /** Plain HTTP instead of HTTPS. */
  http?: boolean;
  key?: string;
  writeRegion?: string;
}

export interface RunningEmulator {
  endpoint: string;
  key: string;
  /** The self-signed certificate clients should trust (HTTPS only). */
  certificate?: string;
  stop(): Promise<void>;
}

const maxRequestBytes = 16 * 1024 * 1024;

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxRequestBytes) chunks.push(chunk);
    });
    request.on("end", () =>
      size > maxRequestBytes
        ? reject(errors.requestTooLarge(size, maxRequestBytes))
        : resolve(Buffer.concat(chunks)),
    );
    request.on("error", reject);
  });
}

function parseRequest(incoming: http.IncomingMessage, body: Buffer): CosmosRequest {
  const segments = pathSegments(incoming.url ?? "/");
  const classified =
    segments[0] === "_admin"
      ? { resourceType: "admin", resourceLink: segments.slice(1).join("/") }
      : classifyPath(segments);
  return { method: incoming.method ?? "GET", segments, headers: incoming.headers, body, ...classified };
}

function toCosmosError(error: unknown): CosmosError {
  if (error instanceof CosmosError) return error;
  if (error instanceof QuerySyntaxError) return errors.badRequest(error.message);
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `cosmos-emulator: internal error: ${error instanceof Error ? error.stack : message}\n`,
  );
  return new CosmosError(500, "InternalServerError", `Internal error in cosmos-emulator: ${message}`);
}

function send(outgoing: http.ServerResponse, response: CosmosResponse): void {
  const headers: Record<string, string> = {
    "x-ms-request-charge": String(response.requestCharge),
    "x-ms-activity-id": randomUUID(),
    "x-ms-gatewayversion": "2.0.0",
    ...response.headers,
  };
  if (response.body !== undefined) headers["content-type"] = "application/json";
  outgoing.writeHead(response.status, headers);
  outgoing.end(response.body);
}

function sendError(outgoing: http.ServerResponse, error: CosmosError): void {
  send(outgoing, {
    status: error.status,
    body: errorBody(error),
    headers: { "x-ms-substatus": String(error.substatus), ...error.headers },
    requestCharge: 0,
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const key = options.key ?? wellKnownKey;
  const store = new SqliteStore(options.dataDir);
  const account = loadAccount(store, {
    name: "cosmos-emulator",
    writeRegion: options.writeRegion ?? "South Central US",
    serverless: options.serverless ?? false,
  });
  const faults = new FaultInjector();
  let stopped = false;
  const statistics = new RequestStatistics();
  const turns = new FairTurns();
  const ctx: EmulatorContext = {
    store,
    account,
    endpoint: "",
    limiter: new RateLimiter(),
    partitionCount: options.partitions ?? 1,
    resourceTokens: new ResourceTokens(key),
  };

  async function handle(incoming: http.IncomingMessage, outgoing: http.ServerResponse): Promise<void> {
    let request: CosmosRequest | undefined;
    try {
      request = parseRequest(incoming, await readBody(incoming));
      if (takesTurns(request)) await turns.take(request.resourceLink);
      // A request still arriving while the emulator stops must not touch the closed store.
      if (stopped) throw errors.serviceUnavailable();
      const caller = authenticate(key, ctx.resourceTokens, {
        method: request.method,
        resourceType: request.resourceType,
        resourceLink: gatewaySigningLink(request.resourceLink),
        date: incoming.headers["x-ms-date"] as string | undefined,
        authorization: incoming.headers["authorization"],
      });
      // Emulator controls (`_admin`) are no resource a permission can name: only the key holder reaches them.
      if (caller.kind === "resource") authorizeResourceToken(ctx, caller.claims, request);
      if (request.resourceType === "admin")
        return send(outgoing, handleAdmin(ctx, faults, statistics, request));
      const fault = faults.decide(request.resourceType);
      if (fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault.kind === "connectionReset") {
        incoming.socket.destroy();
        return;
      }
      if (fault.kind === "serviceUnavailable") throw errors.serviceUnavailable();
      if (fault.kind === "throttle") throw errors.tooManyRequests(fault.retryAfterMs);
      const response = route(ctx, request);
      if (request.resourceType === "docs") {
        statistics.record(
          request.resourceLink,
          response.status,
          response.requestCharge,
          response.throttledOperations,
        );
      }
      send(outgoing, response);
    } catch (error) {
      // A client that went away before its body arrived (it aborted, or its process ended) has no one to
      // answer, and nothing here failed.
      if (request === undefined && incoming.destroyed) return;
      const cosmosError = toCosmosError(error);
      if (request?.resourceType === "docs") statistics.record(request.resourceLink, cosmosError.status, 0);
      sendError(outgoing, cosmosError);
    }
  }

  // handle answers every failure with a Cosmos error; this catches only a failure to send that answer, which
  // would otherwise be an unhandled rejection that ends the process.
  const listener = (incoming: http.IncomingMessage, outgoing: http.ServerResponse) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      process.stderr.write(
        `cosmos-emulator: could not answer ${incoming.method} ${incoming.url}: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      outgoing.destroy();
    });
  };
  const tls = options.http ? undefined : await loadOrCreateCertificate(options.dataDir);
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  ctx.endpoint = `${tls ? "https" : "http"}://${options.host ?? "127.0.0.1"}:${port}/`;
  const expirySweep = startExpirySweep(ctx);

  return {
    endpoint: ctx.endpoint,
    key,
    certificate: tls?.cert,
    stop: async () => {
      stopped = true;
      expirySweep.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
