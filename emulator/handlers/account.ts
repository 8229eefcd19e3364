import { header, json, type CosmosRequest, type CosmosResponse } from "../protocol";
import { requestUnits } from "../throughput/request-units";
import type { EmulatorContext } from "./context";

/**
 * The URL this client reached us at, in the form clients are configured with (`https://localhost:8081`, no
 * trailing slash): the emulator's own scheme with the request's Host. The SDK counts every distinct endpoint
 * string it contacts, so advertising `https://127.0.0.1:8081/` to a client of `https://localhost:8081` would
 * make one local endpoint look like two in its diagnostics.
 */
function endpointSeenBy(ctx: EmulatorContext, request: CosmosRequest): string {
  const host = header(request, "host");
  if (host === undefined) return ctx.endpoint;
  try {
    return new URL(`${new URL(ctx.endpoint).protocol}//${host}`).origin;
  } catch {
    return ctx.endpoint;
  }
}

/**
 * `GET /`: the database account. The SDK routes requests to the first writable location's endpoint, so it
 * must be the URL the client reaches us at; the id must not be "localhost" or the SDK ignores the locations.
 */
export function readAccount(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  const location = { name: ctx.account.writeRegion, databaseAccountEndpoint: endpointSeenBy(ctx, request) };
  return json(
    200,
    {
      id: ctx.account.name,
      _rid: `${ctx.account.name}.documents.azure.com`,
      media: "//media/",
      addresses: "//addresses/",
      _dbs: "//dbs/",
      writableLocations: [location],
      readableLocations: [location],
      enableMultipleWriteLocations: false,
      userReplicationPolicy: { asyncReplication: false, minReplicaSetSize: 1, maxReplicasetSize: 4 },
      userConsistencyPolicy: { defaultConsistencyLevel: "Session" },
      systemReplicationPolicy: { minReplicaSetSize: 1, maxReplicasetSize: 4 },
      readPolicy: { primaryReadCoefficient: 1, secondaryReadCoefficient: 1 },
      queryEngineConfiguration: "{}",
      capabilities: ctx.account.serverless ? [{ name: "EnableServerless" }] : [],
    },
    requestUnits.metadata(),
  );
}
