import { json, type CosmosResponse } from "../protocol";
import { requestUnits } from "../throughput/request-units";
import type { EmulatorContext } from "./context";

/**
 * `GET /`: the database account. The SDK routes writes to the first writable location's endpoint, so it
 * must be the URL clients reach us at; the id must not be "localhost" or the SDK ignores the locations.
 */
export function readAccount(ctx: EmulatorContext): CosmosResponse {
  const location = { name: ctx.account.writeRegion, databaseAccountEndpoint: ctx.endpoint };
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
