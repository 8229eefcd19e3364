import { errors } from "../errors";
import { effectivePartitionKey, type PartitionKeyValue } from "../../partitioning/effective-partition-key";
import { feedBody, header, maxItemCount, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { ContainerRecord, PartitionRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { requireRange, type EmulatorContext } from "./context";
import { canonicalPartitionKey, renderItem } from "./item-operations";

/**
 * `GET …/docs` with `A-IM: Incremental Feed`: the latest version of each changed item in one partition key
 * range (optionally narrowed to an EPK sub-range or one partition key), in LSN order. The etag is the LSN
 * the next read continues after; 304 (with an etag) when nothing is new.
 *
 * A page ends at `x-ms-max-item-count` items, or once its body reaches `pageBytes`, or — for a filtered
 * read — at the end of the store's window of examined changes, where it may hold few or no items (a 200
 * with an empty page and a later etag): each request does bounded work, however large the partition.
 */
const defaultPageSize = 100;
/** The service caps a response near 4 MB too. */
const pageBytes = 4 * 1024 * 1024;

function quoted(lsn: number): string {
  return `"${lsn}"`;
}

function partitionFor(ctx: EmulatorContext, container: ContainerRecord, request: CosmosRequest) {
  const partitions = ctx.store.listPartitions(container.rid);
  const rangeId = header(request, "x-ms-documentdb-partitionkeyrangeid");
  const partitionKeyHeader = header(request, "x-ms-documentdb-partitionkey");
  if (rangeId !== undefined) {
    return { partition: requireRange(partitions, container, rangeId), partitionKey: undefined };
  }
  if (partitionKeyHeader !== undefined) {
    const partitionKey = canonicalPartitionKey(partitionKeyHeader);
    let epk: string;
    try {
      epk = effectivePartitionKey(
        container.definition.partitionKey,
        JSON.parse(partitionKey) as PartitionKeyValue[],
      );
    } catch {
      throw errors.badRequest(
        `The partition key ${partitionKey} does not fit the container's key paths ${JSON.stringify(container.definition.partitionKey.paths)}.`,
      );
    }
    const partition = partitions.find(
      (p) => p.minInclusive <= epk && epk < p.maxExclusive,
    ) as PartitionRecord;
    return { partition, partitionKey: { value: partitionKey, epk } };
  }
  if (partitions.length === 1) return { partition: partitions[0], partitionKey: undefined };
  throw errors.badRequest("A change feed read needs a partition key range id or a partition key.");
}

function startAfter(request: CosmosRequest, partition: PartitionRecord): number | "now" {
  const ifNoneMatch = header(request, "if-none-match");
  if (ifNoneMatch === undefined) return 0;
  if (ifNoneMatch === "*") return "now";
  const lsn = Number(ifNoneMatch.replace(/"/g, ""));
  if (!Number.isInteger(lsn) || lsn < 0 || lsn > partition.lsn) {
    throw errors.badRequest(`The change feed continuation ${ifNoneMatch} is not valid for this container.`);
  }
  return lsn;
}

function sinceSeconds(request: CosmosRequest): number | undefined {
  const value = header(request, "if-modified-since");
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw errors.badRequest(`If-Modified-Since '${value}' is not an HTTP date.`);
  return Math.floor(time / 1000);
}

export function readChangeFeed(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  const { partition, partitionKey } = partitionFor(ctx, container, request);
  const start = startAfter(request, partition);
  if (start === "now") {
    return { status: 304, headers: { etag: quoted(partition.lsn) }, requestCharge: requestUnits.feedPage(0) };
  }
  const byEpk = header(request, "x-ms-read-key-type") === "EffectivePartitionKeyRange";
  const limit = maxItemCount(request, defaultPageSize);
  const changes = ctx.store.changes(container.rid, {
    partition: partition.index,
    afterLsn: start,
    minEpk: byEpk ? header(request, "x-ms-start-epk") : undefined,
    maxEpk: byEpk ? header(request, "x-ms-end-epk") : undefined,
    partitionKey,
    sinceTs: header(request, "if-none-match") === undefined ? sinceSeconds(request) : undefined,
  });
  const rendered: string[] = [];
  let bytes = 0;
  let lastLsn = start;
  for (const item of changes.items) {
    const document = renderItem(container, item, true);
    rendered.push(document);
    bytes += Buffer.byteLength(document);
    lastLsn = item.lsn;
    if (rendered.length === limit || bytes >= pageBytes) break;
  }
  const full = rendered.length === limit || bytes >= pageBytes;
  // A short page has seen everything up to its window's end, or else the partition's current LSN.
  const next = full ? lastLsn : (changes.examinedTo ?? partition.lsn);
  if (rendered.length === 0 && changes.examinedTo === undefined) {
    return { status: 304, headers: { etag: quoted(next) }, requestCharge: requestUnits.feedPage(0) };
  }
  const body = feedBody(container.rid, "Documents", rendered);
  return {
    status: 200,
    body,
    headers: { etag: quoted(next), "x-ms-item-count": String(rendered.length) },
    requestCharge: requestUnits.feedPage(Buffer.byteLength(body)),
  };
}
