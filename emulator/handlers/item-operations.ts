import { errors } from "../errors";
import {
  effectivePartitionKey,
  extractPartitionKey,
  type PartitionKeyValue,
} from "../../partitioning/effective-partition-key";
import { executeQuery, parseQuery } from "../query/evaluate";
import { newEtag, newItemRid, nowSeconds } from "../resource-ids";
import type { ContainerRecord, ItemRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { containerSelf, type EmulatorContext } from "./context";
import { validateResourceName } from "./names";
import { applyPatch, type PatchOperation } from "./patch";
import { validateItemTtl } from "./time-to-live";
import { recordVersion } from "./version-log";

/**
 * Item operations shared by single requests and batches: partition key checks, LSN assignment, unique keys,
 * preconditions and charges. Each returns what a batch operation result needs; single requests wrap it.
 */
export interface OperationResult {
  status: number;
  item?: ItemRecord;
  requestCharge: number;
  /** The partition key range that served the operation, whose LSN the response reports. */
  partition: number;
}

export type WriteKind = "create" | "upsert" | "replace";

/** The service's maximum item size. */
export const maxItemBytes = 2 * 1024 * 1024;
const systemProperties = ["_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"];

/** Canonical form of a partition key JSON array, so `["é"]` and `["\u00e9"]` name the same partition. */
export function canonicalPartitionKey(headerValue: string): string {
  let values: unknown;
  try {
    values = JSON.parse(headerValue);
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values)) {
    throw errors.badRequest(
      `The partition key ${headerValue} is invalid: it must be a JSON array such as ["value"].`,
    );
  }
  return JSON.stringify(values);
}

function locate(ctx: EmulatorContext, container: ContainerRecord, values: PartitionKeyValue[]) {
  const epk = effectivePartitionKey(container.definition.partitionKey, values);
  const partition = ctx.store
    .partitionBounds(container.rid)
    .find((p) => p.minInclusive <= epk && epk < p.maxExclusive);
  if (!partition) throw new Error(`no partition of ${container.id} holds EPK ${epk}`);
  return { epk, partition: partition.index };
}

/** The item as the service returns it: the stored body plus system properties (and `_lsn` in feeds). */
export function renderItem(container: ContainerRecord, item: ItemRecord, withLsn = false): string {
  const self = `${containerSelf(container)}docs/${item.rid}/`;
  const lsn = withLsn ? `,"_lsn":${item.lsn}` : "";
  return `${item.body.slice(0, -1)},"_rid":"${item.rid}","_self":"${self}","_etag":${JSON.stringify(item.etag)},"_attachments":"attachments/","_ts":${item.ts}${lsn}}`;
}

export function itemBytes(item: ItemRecord): number {
  return Buffer.byteLength(item.body);
}

function userDocument(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw errors.badRequest('The item must be a JSON object with a string "id".');
  }
  const document: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (!systemProperties.includes(name)) document[name] = value;
  }
  return document;
}

/**
 * `If-Match` guards the version being overwritten or deleted. An upsert of an item that does not exist
 * creates it whatever the etag, as the service does: there is no version to compare with.
 */
function checkPrecondition(existing: ItemRecord | undefined, ifMatch: string | undefined): void {
  if (existing && ifMatch !== undefined && ifMatch !== "*" && existing.etag !== ifMatch)
    throw errors.preconditionFailed();
}

function checkUniqueKeys(
  ctx: EmulatorContext,
  container: ContainerRecord,
  partitionKey: string,
  document: Record<string, unknown>,
): void {
  const uniqueKeys = container.definition.uniqueKeyPolicy?.uniqueKeys ?? [];
  if (uniqueKeys.length === 0) return;
  const others = ctx.store
    .itemsInLogicalPartition(container.rid, partitionKey)
    .filter((item) => item.id !== document.id)
    .map((item) => JSON.parse(item.body) as Record<string, unknown>);
  for (const { paths } of uniqueKeys) {
    const tuple = JSON.stringify(extractPartitionKey({ paths, kind: "MultiHash" }, document));
    if (
      others.some(
        (other) => JSON.stringify(extractPartitionKey({ paths, kind: "MultiHash" }, other)) === tuple,
      )
    ) {
      throw errors.conflict(`Unique index constraint violation on ${paths.join(", ")}.`);
    }
  }
}

/**
 * Every item write ends here, in one store transaction: the unique-key check, the partition's next LSN, the
 * row and its all-versions log entry. A write refused on the way consumes no LSN and leaves no trace; the
 * reads and checks before this (404, 409, 412, 413) run in the same synchronous turn, so no other request
 * changes what they saw.
 */
function commitWrite(
  ctx: EmulatorContext,
  container: ContainerRecord,
  document: Record<string, unknown>,
  draft: Omit<ItemRecord, "lsn">,
  existing: ItemRecord | undefined,
): ItemRecord {
  return ctx.store.transaction(() => {
    checkUniqueKeys(ctx, container, draft.partitionKey, document);
    const item: ItemRecord = { ...draft, lsn: ctx.store.nextLsn(container.rid, draft.partition) };
    ctx.store.putItem(container.rid, item);
    recordVersion(ctx, container, { written: item, existing });
    return item;
  });
}

/** A delete and its log entry (which takes the LSN, if the container keeps a log) in one transaction. */
function commitDelete(ctx: EmulatorContext, container: ContainerRecord, existing: ItemRecord): void {
  ctx.store.transaction(() => {
    ctx.store.deleteItem(container.rid, existing.partitionKey, existing.id);
    recordVersion(ctx, container, { deleted: existing });
  });
}

/** Stores a document (already stripped of system properties) with a fresh LSN in its partition. */
function store(
  ctx: EmulatorContext,
  container: ContainerRecord,
  document: Record<string, unknown>,
  existing: ItemRecord | undefined,
): ItemRecord {
  validateItemTtl(document);
  const values = extractPartitionKey(container.definition.partitionKey, document);
  const { epk, partition } = locate(ctx, container, values);
  const body = JSON.stringify(document);
  if (Buffer.byteLength(body) > maxItemBytes)
    throw errors.requestTooLarge(Buffer.byteLength(body), maxItemBytes);
  return commitWrite(
    ctx,
    container,
    document,
    {
      partitionKey: JSON.stringify(values),
      id: document.id as string,
      partition,
      epk,
      ts: nowSeconds(),
      etag: newEtag(),
      rid: existing?.rid ?? newItemRid(container.rid),
      body,
    },
    existing,
  );
}

export function writeItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: WriteKind,
  body: unknown,
  options: { partitionKey?: string; id?: string; ifMatch?: string },
): OperationResult {
  const document = userDocument(body);
  const id = validateResourceName("item", document.id);
  if (options.id !== undefined && options.id !== id) {
    throw errors.badRequest(
      `The item id in the body ('${id}') differs from the id in the URL ('${options.id}').`,
    );
  }
  const partitionKey = JSON.stringify(extractPartitionKey(container.definition.partitionKey, document));
  if (options.partitionKey !== undefined && options.partitionKey !== partitionKey) {
    throw errors.badRequest(
      `PartitionKey extracted from document (${partitionKey}) doesn't match the one specified in the header (${options.partitionKey}).`,
      1001,
    );
  }
  const existing = ctx.store.getItem(container.rid, partitionKey, id);
  if (kind === "create" && existing) throw errors.conflict();
  if (kind === "replace" && !existing) throw errors.notFound();
  checkPrecondition(existing, options.ifMatch);
  const item = store(ctx, container, document, existing);
  return {
    status: existing ? 200 : 201,
    item,
    requestCharge: requestUnits.write(itemBytes(item)),
    partition: item.partition,
  };
}

export function readItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  partitionKey: string,
  id: string,
): OperationResult {
  const item = ctx.store.getItem(container.rid, partitionKey, id);
  if (!item) throw errors.notFound();
  return {
    status: 200,
    item,
    requestCharge: requestUnits.pointRead(itemBytes(item)),
    partition: item.partition,
  };
}

export function deleteItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  partitionKey: string,
  id: string,
  ifMatch?: string,
): OperationResult {
  const existing = ctx.store.getItem(container.rid, partitionKey, id);
  if (!existing) throw errors.notFound();
  checkPrecondition(existing, ifMatch);
  commitDelete(ctx, container, existing);
  return { status: 204, requestCharge: requestUnits.delete(), partition: existing.partition };
}

export function patchItem(
  ctx: EmulatorContext,
  container: ContainerRecord,
  partitionKey: string,
  id: string,
  patch: { operations: PatchOperation[]; condition?: string },
  ifMatch?: string,
): OperationResult {
  const existing = ctx.store.getItem(container.rid, partitionKey, id);
  if (!existing) throw errors.notFound();
  checkPrecondition(existing, ifMatch);
  const document = JSON.parse(existing.body) as Record<string, unknown>;
  if (
    patch.condition &&
    executeQuery(parseQuery(`SELECT VALUE 1 ${patch.condition}`), [document], {}).length === 0
  ) {
    throw errors.preconditionFailed();
  }
  const patched = applyPatch(document, patch.operations);
  if (
    patched.id !== id ||
    JSON.stringify(extractPartitionKey(container.definition.partitionKey, patched)) !== partitionKey
  ) {
    throw errors.badRequest("A patch may not change the item's id or partition key.");
  }
  const item = store(ctx, container, patched, existing);
  return {
    status: 200,
    item,
    requestCharge: requestUnits.write(itemBytes(item)),
    partition: item.partition,
  };
}
