import { errors } from "../errors";
import { epkRangeBoundaries } from "../../partitioning/effective-partition-key";
import {
  feedBody,
  header,
  isTrue,
  json,
  jsonBody,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
import { newContainerRid, newEtag, nowSeconds } from "../resource-ids";
import type { ContainerDefinition, ContainerRecord, PartitionRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { offerRate } from "../throughput/admission";
import { containerSelf, requireContainer, requireDatabase, type EmulatorContext } from "./context";
import { queryResources } from "./resource-query";
import { validateResourceName } from "./names";
import { createOffer, requestedThroughput } from "./offers";
import { partitionsAtCreation } from "./splits";
import { policyReplaced } from "./version-log";
import {
  definitionWithDefaults,
  validateContainerSettings,
  validatePartitionKey,
} from "./container-definition";

/** Throughput a provisioned container gets when neither it nor its database names any. */
const defaultContainerThroughput = 400;

export function containerResource(container: ContainerRecord): Record<string, unknown> {
  return {
    ...definitionWithDefaults(container.definition),
    _rid: container.rid,
    _self: containerSelf(container),
    _etag: container.etag,
    _docs: "docs/",
    _sprocs: "sprocs/",
    _triggers: "triggers/",
    _udfs: "udfs/",
    _conflicts: "conflicts/",
    _ts: container.ts,
  };
}

function initialPartitions(definition: ContainerDefinition, count: number): PartitionRecord[] {
  const boundaries = epkRangeBoundaries(definition.partitionKey, count);
  return boundaries.slice(0, -1).map((minInclusive, index) => ({
    index,
    minInclusive,
    maxExclusive: boundaries[index + 1],
    lsn: 0,
    parents: [],
    retainedAfter: 0,
  }));
}

export function listContainers(ctx: EmulatorContext, databaseId: string): CosmosResponse {
  const database = requireDatabase(ctx, databaseId, true);
  const containers = ctx.store.listContainers(databaseId).map((c) => JSON.stringify(containerResource(c)));
  return {
    status: 200,
    body: feedBody(database.rid, "DocumentCollections", containers),
    requestCharge: requestUnits.metadata(),
  };
}

export function queryContainers(
  ctx: EmulatorContext,
  databaseId: string,
  request: CosmosRequest,
): CosmosResponse {
  const database = requireDatabase(ctx, databaseId, true);
  const containers = ctx.store.listContainers(databaseId).map(containerResource);
  return queryResources(request, containers, database.rid, "DocumentCollections");
}

export function createContainer(
  ctx: EmulatorContext,
  databaseId: string,
  request: CosmosRequest,
): CosmosResponse {
  const body = jsonBody<ContainerDefinition>(request);
  const id = validateResourceName("container", body.id);
  const definition: ContainerDefinition = { ...body, id, partitionKey: validatePartitionKey(body) };
  validateContainerSettings(definition);
  const throughput = requestedThroughput(ctx, request);
  return ctx.store.transaction(() => {
    const database = requireDatabase(ctx, databaseId, true);
    if (ctx.store.getContainer(databaseId, id)) {
      throw errors.conflict(`Container '${id}' already exists in database '${databaseId}'.`);
    }
    const container: ContainerRecord = {
      databaseId,
      databaseRid: database.rid,
      id,
      rid: newContainerRid(database.rid),
      definition,
      ts: nowSeconds(),
      etag: newEtag(),
    };
    const sharedOffer = ctx.store.getOfferForResource(database.rid);
    const ownThroughput =
      throughput ??
      (ctx.account.serverless || sharedOffer ? undefined : { offerThroughput: defaultContainerThroughput });
    // The service starts a container with as many partitions as its throughput needs.
    const partitionCount = Math.max(
      ctx.partitionCount,
      ownThroughput ? partitionsAtCreation(offerRate({ content: ownThroughput })) : 1,
    );
    ctx.store.insertContainer(container, initialPartitions(definition, partitionCount));
    if (ownThroughput)
      createOffer(ctx, { rid: container.rid, self: containerSelf(container) }, ownThroughput);
    return json(201, containerResource(container), requestUnits.metadata());
  });
}

/**
 * The service reports index transformation as complete (100) on every container read, and the
 * container's limits and usage when asked with `x-ms-documentdb-populatequotainfo`. Sizes are in KB.
 */
export function readContainer(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const container = requireContainer(ctx, databaseId, id, false);
  return json(200, containerResource(container), requestUnits.metadata(), {
    "x-ms-documentdb-collection-index-transformation-progress": "100",
    ...(isTrue(request, "x-ms-documentdb-populatequotainfo") ? quotaHeaders(ctx, container) : {}),
  });
}

/** The service's per-container limits (sizes in KB; -1: unlimited) and what the container uses of them. */
const containerQuota = {
  functions: 25,
  storedProcedures: 100,
  triggers: 25,
  documentSize: 2048,
  documentsSize: 10485760,
  documentsCount: -1,
  collectionSize: 10485760,
};

function quotaHeaders(ctx: EmulatorContext, container: ContainerRecord): Record<string, string> {
  const usage = ctx.store.itemUsage(container.rid);
  const usedKb = Math.ceil(usage.bytes / 1024);
  const format = (values: Record<string, number>) =>
    Object.entries(values)
      .map(([name, value]) => `${name}=${value}`)
      .join(";");
  return {
    "x-ms-resource-quota": format(containerQuota),
    "x-ms-resource-usage": format({
      functions: 0,
      storedProcedures: 0,
      triggers: 0,
      documentsSize: usedKb,
      documentsCount: usage.count,
      collectionSize: usedKb,
    }),
  };
}

/**
 * `PUT`: indexing policy, TTL, the change feed policy and the like may change; the partition key and
 * unique keys may not.
 */
export function replaceContainer(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const container = requireContainer(ctx, databaseId, id, false);
  const body = jsonBody<ContainerDefinition>(request);
  if (body.id !== id) throw errors.badRequest(`The container id in the body ('${body.id}') must be '${id}'.`);
  const partitionKey = validatePartitionKey({
    ...body,
    partitionKey: body.partitionKey ?? container.definition.partitionKey,
  });
  if (JSON.stringify(partitionKey.paths) !== JSON.stringify(container.definition.partitionKey.paths)) {
    throw errors.badRequest(
      "Partition key paths cannot be changed on an existing container: create a new container.",
    );
  }
  if (
    body.uniqueKeyPolicy !== undefined &&
    JSON.stringify(body.uniqueKeyPolicy) !==
      JSON.stringify(container.definition.uniqueKeyPolicy ?? { uniqueKeys: [] })
  ) {
    throw errors.badRequest(
      "Unique keys cannot be changed on an existing container: create a new container.",
    );
  }
  validateContainerSettings(body);
  const updated = {
    ...container,
    definition: { ...body, partitionKey: container.definition.partitionKey },
    ts: nowSeconds(),
    etag: newEtag(),
  };
  ctx.store.transaction(() => {
    ctx.store.replaceContainer(updated);
    policyReplaced(ctx, container, updated.definition);
  });
  return json(200, containerResource(updated), requestUnits.metadata());
}

export function deleteContainer(ctx: EmulatorContext, databaseId: string, id: string): CosmosResponse {
  requireContainer(ctx, databaseId, id, false);
  ctx.store.transaction(() => ctx.store.deleteContainer(databaseId, id));
  return { status: 204, requestCharge: requestUnits.metadata() };
}

/**
 * `GET …/pkranges`: the live ranges, with an etag that changes only when they do (a split gives the
 * children ids above every earlier one, so the highest id is the routing map's version). A client reading
 * it as an incremental feed (`A-IM: Incremental feed`) sends that etag back in `If-None-Match` and gets
 * 304 until a split, as from the service; it then gets the ranges again and the new etag.
 */
export function listPartitionKeyRanges(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const container = requireContainer(ctx, databaseId, id, true);
  const partitions = ctx.store.listPartitions(container.rid);
  const etag = `"${Math.max(...partitions.map((p) => p.index))}"`;
  const incremental = header(request, "a-im")?.toLowerCase() === "incremental feed";
  if (incremental && header(request, "if-none-match") === etag) {
    return { status: 304, headers: { etag }, requestCharge: requestUnits.metadata() };
  }
  const ranges = partitions.map((p) =>
    JSON.stringify({
      _rid: `${container.rid}${p.index}`,
      id: String(p.index),
      _etag: container.etag,
      minInclusive: p.minInclusive,
      maxExclusive: p.maxExclusive,
      ridPrefix: p.index,
      _self: `${containerSelf(container)}pkranges/${p.index}/`,
      throughputFraction: 1,
      status: "online",
      parents: p.parents.map(String),
      _ts: container.ts,
      lsn: p.lsn,
    }),
  );
  return {
    status: 200,
    body: feedBody(container.rid, "PartitionKeyRanges", ranges),
    headers: { etag },
    requestCharge: requestUnits.metadata(),
  };
}
