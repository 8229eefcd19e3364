import { errors } from "../errors";
import { feedBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { ContainerRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { queryResources } from "./resource-query";

/**
 * `…/colls/{c}/conflicts`: the feed of write conflicts between regions. The emulator is a single-region
 * account, where writes never conflict, so the feed is always empty, as the service's is for such an
 * account: a list or query answers no conflicts, a read or delete of one answers 404.
 */
export function listConflicts(container: ContainerRecord): CosmosResponse {
  return {
    status: 200,
    body: feedBody(container.rid, "Conflicts", []),
    requestCharge: requestUnits.metadata(),
  };
}

export function queryConflicts(container: ContainerRecord, request: CosmosRequest): CosmosResponse {
  return queryResources(request, [], container.rid, "Conflicts");
}

export function missingConflict(): never {
  throw errors.notFound();
}
