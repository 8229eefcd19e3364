import { errors } from "../errors";
import {
  header,
  isTrue,
  jsonBody,
  sessionHeaders,
  wantsWrittenContent,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
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
import { withTriggers } from "./triggers";

/** Single-item REST calls: `POST …/docs` (create or upsert) and `GET|PUT|PATCH|DELETE …/docs/{id}`. */
function respond(
  ctx: EmulatorContext,
  container: ContainerRecord,
  result: OperationResult,
  withContent: boolean,
): CosmosResponse {
  const headers = {
    ...itemSessionHeaders(ctx, container, result),
    ...(result.item ? { etag: result.item.etag } : {}),
  };
  return {
    status: result.status,
    body: result.item && withContent ? renderItem(container, result.item) : undefined,
    headers,
    requestCharge: result.requestCharge,
  };
}

/** The session token and LSNs of the range that served the operation, as it stands after it. */
function itemSessionHeaders(ctx: EmulatorContext, container: ContainerRecord, result: OperationResult) {
  const range = ctx.store.listPartitions(container.rid).find((p) => p.index === result.partition);
  if (!range) throw new Error(`partition ${result.partition} of ${container.id} is not in the store`);
  return sessionHeaders(container.rid, { rangeId: range.index, lsn: range.lsn }, result.item?.lsn);
}

function partitionKeyHeader(request: CosmosRequest): string | undefined {
  const value = header(request, "x-ms-documentdb-partitionkey");
  return value === undefined ? undefined : canonicalPartitionKey(value);
}

/**
 * A point operation names one logical partition: a value for every level of the container's key (`[]` is
 * the "none" key of items stored without one). A prefix of a hierarchical key names many partitions and is
 * refused, as the service does.
 */
function requiredPartitionKey(request: CosmosRequest, container: ContainerRecord): string {
  const partitionKey = partitionKeyHeader(request);
  if (partitionKey === undefined) {
    throw errors.badRequest(
      "PartitionKey value must be supplied for this operation: pass the item's partition key value.",
    );
  }
  const levels = (JSON.parse(partitionKey) as unknown[]).length;
  const paths = container.definition.partitionKey.paths;
  if (levels > 0 && levels !== paths.length) {
    throw errors.badRequest(
      `Partition key provided either doesn't correspond to definition in the collection or doesn't match partition key field values specified in the document: ${partitionKey} has ${levels} component(s), the container's key paths ${JSON.stringify(paths)} need ${paths.length}.`,
    );
  }
  return partitionKey;
}

export function createOrUpsertItem(ctx: EmulatorContext, container: ContainerRecord, request: CosmosRequest) {
  const upsert = isTrue(request, "x-ms-documentdb-is-upsert");
  const options = {
    partitionKey: partitionKeyHeader(request),
    // A create has no version to guard: only an upsert that replaces honours If-Match.
    ifMatch: upsert ? header(request, "if-match") : undefined,
  };
  const result = withTriggers(
    ctx,
    container,
    request,
    upsert ? "Upsert" : "Create",
    jsonBody(request),
    (body) => writeItem(ctx, container, upsert ? "upsert" : "create", body, options),
  );
  return respond(ctx, container, result, wantsWrittenContent(request));
}

export function getItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  return respond(
    ctx,
    container,
    readItem(ctx, container, requiredPartitionKey(request, container), id),
    true,
  );
}

export function replaceItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  const options = {
    partitionKey: requiredPartitionKey(request, container),
    id,
    ifMatch: header(request, "if-match"),
  };
  const result = withTriggers(ctx, container, request, "Replace", jsonBody(request), (body) =>
    writeItem(ctx, container, "replace", body, options),
  );
  return respond(ctx, container, result, wantsWrittenContent(request));
}

export function removeItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  const partitionKey = requiredPartitionKey(request, container);
  const result = withTriggers(ctx, container, request, "Delete", undefined, () =>
    deleteItem(ctx, container, partitionKey, id, header(request, "if-match")),
  );
  return respond(ctx, container, result, false);
}

export function patchItemRequest(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
) {
  const body = jsonBody<PatchOperation[] | { operations: PatchOperation[]; condition?: string }>(request);
  const patch = Array.isArray(body) ? { operations: body } : body;
  const result = patchItem(
    ctx,
    container,
    requiredPartitionKey(request, container),
    id,
    patch,
    header(request, "if-match"),
  );
  return respond(ctx, container, result, wantsWrittenContent(request));
}
