import { errors } from "../errors";
import { header, isTrue, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { ContainerRecord } from "../store/store";
import type { EmulatorContext } from "./context";
import {
  canonicalPartitionKey,
  deleteItem,
  patchItem,
  readItem,
  renderItem,
  writeItem,
  type OperationResult,
} from "./item-operations";
import type { PatchOperation } from "./patch";

/** Single-item REST calls: `POST …/docs` (create or upsert) and `GET|PUT|PATCH|DELETE …/docs/{id}`. */
function respond(container: ContainerRecord, result: OperationResult): CosmosResponse {
  if (!result.item) return { status: result.status, requestCharge: result.requestCharge };
  return {
    status: result.status,
    body: renderItem(container, result.item),
    headers: { etag: result.item.etag },
    requestCharge: result.requestCharge,
  };
}

function partitionKeyHeader(request: CosmosRequest): string | undefined {
  const value = header(request, "x-ms-documentdb-partitionkey");
  return value === undefined ? undefined : canonicalPartitionKey(value);
}

function requiredPartitionKey(request: CosmosRequest): string {
  const partitionKey = partitionKeyHeader(request);
  if (partitionKey === undefined) {
    throw errors.badRequest(
      "PartitionKey value must be supplied for this operation: pass the item's partition key value.",
    );
  }
  return partitionKey;
}

export function createOrUpsertItem(ctx: EmulatorContext, container: ContainerRecord, request: CosmosRequest) {
  const kind = isTrue(request, "x-ms-documentdb-is-upsert") ? "upsert" : "create";
  return respond(
    container,
    writeItem(ctx, container, kind, jsonBody(request), { partitionKey: partitionKeyHeader(request) }),
  );
}

export function getItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  return respond(container, readItem(ctx, container, requiredPartitionKey(request), id));
}

export function replaceItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  return respond(
    container,
    writeItem(ctx, container, "replace", jsonBody(request), {
      partitionKey: requiredPartitionKey(request),
      id,
      ifMatch: header(request, "if-match"),
    }),
  );
}

export function removeItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  return respond(
    container,
    deleteItem(ctx, container, requiredPartitionKey(request), id, header(request, "if-match")),
  );
}

export function patchItemRequest(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  const body = jsonBody<PatchOperation[] | { operations: PatchOperation[]; condition?: string }>(request);
  const patch = Array.isArray(body) ? { operations: body } : body;
  return respond(
    container,
    patchItem(ctx, container, requiredPartitionKey(request), id, patch, header(request, "if-match")),
  );
}
