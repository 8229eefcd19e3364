import { errors } from "../errors";
import { feedBody, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newDatabaseRid, newEtag, nowSeconds } from "../resource-ids";
import type { DatabaseRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { databaseSelf, requireDatabase, type EmulatorContext } from "./context";
import { queryResources } from "./resource-query";
import { createOffer, requestedThroughput } from "./offers";
import { validateResourceName } from "./names";

function databaseResource(database: DatabaseRecord): Record<string, unknown> {
  return {
    id: database.id,
    _rid: database.rid,
    _self: databaseSelf(database),
    _etag: database.etag,
    _colls: "colls/",
    _users: "users/",
    _ts: database.ts,
  };
}

export function listDatabases(ctx: EmulatorContext): CosmosResponse {
  const databases = ctx.store.listDatabases().map((d) => JSON.stringify(databaseResource(d)));
  return { status: 200, body: feedBody("", "Databases", databases), requestCharge: requestUnits.metadata() };
}

export function queryDatabases(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  return queryResources(request, ctx.store.listDatabases().map(databaseResource), "", "Databases");
}

export function createDatabase(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  const body = jsonBody<{ id?: unknown }>(request);
  const id = validateResourceName("database", body.id);
  const throughput = requestedThroughput(ctx, request);
  return ctx.store.transaction(() => {
    if (ctx.store.getDatabase(id)) throw errors.conflict(`Database '${id}' already exists.`);
    const database: DatabaseRecord = { id, rid: newDatabaseRid(), ts: nowSeconds(), etag: newEtag() };
    ctx.store.insertDatabase(database);
    if (throughput) createOffer(ctx, { rid: database.rid, self: databaseSelf(database) }, throughput);
    return json(201, databaseResource(database), requestUnits.metadata());
  });
}

export function readDatabase(ctx: EmulatorContext, id: string): CosmosResponse {
  return json(200, databaseResource(requireDatabase(ctx, id, false)), requestUnits.metadata());
}

export function deleteDatabase(ctx: EmulatorContext, id: string): CosmosResponse {
  requireDatabase(ctx, id, false);
  ctx.store.transaction(() => ctx.store.deleteDatabase(id));
  return { status: 204, requestCharge: requestUnits.metadata() };
}
