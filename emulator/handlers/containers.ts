import { errors } from "../errors";
import { epkRangeBoundaries } from "../../partitioning/effective-partition-key";
import { feedBody, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newContainerRid, newEtag, nowSeconds } from "../resource-ids";
import type { ContainerDefinition, ContainerRecord, PartitionRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { containerSelf, offerRate, requireContainer, requireDatabase, type EmulatorContext } from "./context";
import { queryResources } from "./resource-query";
import { validateResourceName } from "./names";
import { createOffer, requestedThroughput } from "./offers";
import { partitionsFor } from "./splits";
import { policyReplaced, validateChangeFeedPolicy } from "./version-log";

/** Throughput a provisioned container gets when neither it nor its database names any. */
const defaultContainerThroughput = 400;
const maxHierarchicalLevels = 3;

export function containerResource(container: ContainerRecord): Record<string, unknown> {
  return {
    indexingPolicy: {
      indexingMode: "consistent",
      automatic: true,
      includedPaths: [{ path: "/*" }],
      excludedPaths: [{ path: '/"_etag"/?' }],
    },
    ...container.definition,
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

function validatePartitionKey(definition: ContainerDefinition): ContainerDefinition["partitionKey"] {
  const partitionKey = definition.partitionKey ?? { paths: ["/_partitionKey"], kind: "Hash" };
  const kind = partitionKey.kind ?? "Hash";
  const paths = partitionKey.paths;
  if (
    !Array.isArray(paths) ||
    paths.length === 0 ||
    !paths.every((p) => typeof p === "string" && p.startsWith("/"))
  ) {
    throw errors.badRequest(
      `The partition key definition ${JSON.stringify(partitionKey)} is invalid: "paths" must list paths that start with '/'.`,
    );
  }
  if (kind === "Hash" && paths.length !== 1) {
    throw errors.badRequest(
      `A partition key of kind Hash has exactly one path, got ${paths.length}: use kind MultiHash for hierarchical keys.`,
    );
  }
  if (kind === "MultiHash" && (paths.length > maxHierarchicalLevels || partitionKey.version !== 2)) {
    throw errors.badRequest(
      `A hierarchical (MultiHash) partition key needs version 2 and at most ${maxHierarchicalLevels} paths.`,
    );
  }
  if (kind !== "Hash" && kind !== "MultiHash") {
    throw errors.badRequest(`Partition key kind '${kind}' is not supported: use Hash or MultiHash.`);
  }
  return { ...partitionKey, kind };
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
  validateChangeFeedPolicy(definition);
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
      ownThroughput ? partitionsFor(offerRate({ content: ownThroughput })) : 1,
    );
    ctx.store.insertContainer(container, initialPartitions(definition, partitionCount));
    if (ownThroughput)
      createOffer(ctx, { rid: container.rid, self: containerSelf(container) }, ownThroughput);
    return json(201, containerResource(container), requestUnits.metadata());
  });
}

export function readContainer(ctx: EmulatorContext, databaseId: string, id: string): CosmosResponse {
  return json(200, containerResource(requireContainer(ctx, databaseId, id, false)), requestUnits.metadata());
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
  validateChangeFeedPolicy(body);
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

export function listPartitionKeyRanges(ctx: EmulatorContext, databaseId: string, id: string): CosmosResponse {
  const container = requireContainer(ctx, databaseId, id, true);
  const ranges = ctx.store.listPartitions(container.rid).map((p) =>
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
    requestCharge: requestUnits.metadata(),
  };
}
