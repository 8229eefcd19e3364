import { executeQuery, parametersFromSpec, parseQuery } from "../query/evaluate";
import { feedBody, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { requestUnits } from "../throughput/request-units";

/** A feed of metadata resources (users, permissions, scripts), listed whole in one page. */
export function listResources(
  resources: readonly unknown[],
  ownerRid: string,
  envelope: string,
): CosmosResponse {
  return {
    status: 200,
    body: feedBody(
      ownerRid,
      envelope,
      resources.map((r) => JSON.stringify(r)),
    ),
    requestCharge: requestUnits.metadata(),
  };
}

/** A query over a feed of metadata resources (databases, containers, offers), answered in one page. */
export function queryResources(
  request: CosmosRequest,
  resources: Record<string, unknown>[],
  ownerRid: string,
  envelope: string,
): CosmosResponse {
  const spec = jsonBody<{ query: string; parameters?: { name: string; value: unknown }[] }>(request);
  const results = executeQuery(parseQuery(spec.query), resources, parametersFromSpec(spec.parameters ?? []));
  return listResources(results, ownerRid, envelope);
}
