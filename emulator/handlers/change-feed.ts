import { errors } from "../errors";
import {
  effectivePartitionKey,
  parsePartitionKeyPath,
  type PartitionKeyValue,
} from "../../partitioning/effective-partition-key";
import {
  feedBody,
  header,
  maxItemCount,
  sessionHeaders,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
import type {
  ChangePage,
  ChangeQuery,
  ContainerRecord,
  ItemRecord,
  PartitionRecord,
  VersionRecord,
} from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { requireRange, type EmulatorContext } from "./context";
import { canonicalPartitionKey, renderItem } from "./item-operations";
import { pruneExpiredVersions, retentionMinutes } from "./version-log";

/**
 * `GET …/docs` with `A-IM: Incremental Feed` (latest version) or `A-IM: Full-Fidelity Feed` (all versions
 * and deletes): the changes in one partition key range (optionally narrowed to an EPK sub-range or one
 * partition key), in LSN order. The latest-version feed gives the latest version of each changed item; the
 * all-versions feed every create, replace and delete from the container's log. The etag is the LSN the
 * next read continues after; 304 (with an etag) when nothing is new. Both share addressing and paging and
 * differ only in where they may start, what they read and how they render it (`FeedMode`).
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

/** Where the client asks to start: `If-None-Match` absent, `*`, or the etag of an earlier read. */
function position(request: CosmosRequest, partition: PartitionRecord): number | "beginning" | "now" {
  const ifNoneMatch = header(request, "if-none-match");
  if (ifNoneMatch === undefined) return "beginning";
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

/** What one change feed does that the other does not. */
interface FeedMode<Change extends { lsn: number }> {
  /** Runs before the partition is looked up: refuses what the mode cannot serve, prunes what it reads. */
  prepare(ctx: EmulatorContext, container: ContainerRecord): void;
  /** The LSN to read after, or "now". */
  start(container: ContainerRecord, request: CosmosRequest, partition: PartitionRecord): number | "now";
  read(
    ctx: EmulatorContext,
    container: ContainerRecord,
    request: CosmosRequest,
    query: ChangeQuery,
  ): ChangePage<Change>;
  render(container: ContainerRecord, change: Change): string;
}

const latestVersion: FeedMode<ItemRecord> = {
  prepare: () => undefined,
  start: (_container, request, partition) => {
    const at = position(request, partition);
    return at === "beginning" ? 0 : at;
  },
  read: (ctx, container, request, query) =>
    ctx.store.changes(container.rid, {
      ...query,
      sinceTs: header(request, "if-none-match") === undefined ? sinceSeconds(request) : undefined,
    }),
  render: (container, item) => renderItem(container, item, true),
};

/**
 * The service keeps intermediate versions and deletes only within the policy's retention, so this feed
 * starts only from now or from a continuation, never from the beginning or a point in time.
 */
const allVersionsAndDeletes: FeedMode<VersionRecord> = {
  prepare: (ctx, container) => {
    if (retentionMinutes(container.definition) === 0) {
      throw errors.badRequest(
        `The all versions and deletes change feed needs a change feed policy: container '${container.id}' has none. Set changeFeedPolicy.retentionDuration (minutes, above 0) on the container.`,
      );
    }
    pruneExpiredVersions(ctx, container);
  },
  start: (container, request, partition) => {
    const at = position(request, partition);
    if (at === "beginning" || header(request, "if-modified-since") !== undefined) {
      throw errors.badRequest(
        "You must read the change feed from within the retention period. The all versions and deletes change feed starts only from now or from a continuation: starting from the beginning or from a point in time is not supported.",
      );
    }
    if (at !== "now" && at < partition.retainedAfter) {
      throw errors.badRequest(
        `The change feed continuation "${at}" is outside the container's change feed retention of ${retentionMinutes(container.definition)} minutes (or older than its change feed policy): the changes after it are no longer kept. Start again from now.`,
      );
    }
    return at;
  },
  read: (ctx, container, _request, query) => ctx.store.versions(container.rid, query),
  render: renderVersion,
};

/**
 * Wire format 2021-09-15: a create or replace carries the item as written in `current`; a delete carries
 * the item as it was in `previous` and names it in `metadata`.
 */
function renderVersion(container: ContainerRecord, version: VersionRecord): string {
  const { operation, lsn, crts, previousLsn, image } = version;
  const metadata = {
    operationType: operation,
    lsn,
    crts,
    ...(previousLsn === undefined ? {} : { previousImageLSN: previousLsn }),
  };
  const item = renderItem(container, image, true);
  if (operation !== "delete") return `{"current":${item},"metadata":${JSON.stringify(metadata)}}`;
  const deleted = {
    ...metadata,
    timeToLiveExpired: version.timeToLiveExpired ?? false,
    id: image.id,
    partitionKey: partitionKeyObject(container, image),
  };
  return `{"metadata":${JSON.stringify(deleted)},"previous":${item}}`;
}

/** `{"<last segment of each key path>": value}`: one entry per level of a hierarchical key. */
function partitionKeyObject(container: ContainerRecord, item: ItemRecord): Record<string, unknown> {
  const values = JSON.parse(item.partitionKey) as PartitionKeyValue[];
  const entries = container.definition.partitionKey.paths
    .slice(0, values.length)
    .map((path, index) => [parsePartitionKeyPath(path).at(-1) ?? "", values[index]]);
  return Object.fromEntries(entries);
}

const fullFidelity = "full-fidelity feed";

/** A `GET …/docs` is a change feed read when it names either feed in `A-IM`. */
export function isChangeFeedRead(request: CosmosRequest): boolean {
  const mode = header(request, "a-im")?.toLowerCase();
  return mode === "incremental feed" || mode === fullFidelity;
}

export function readChangeFeed(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  return header(request, "a-im")?.toLowerCase() === fullFidelity
    ? readFeed(ctx, container, request, allVersionsAndDeletes)
    : readFeed(ctx, container, request, latestVersion);
}

function readFeed<Change extends { lsn: number }>(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
  mode: FeedMode<Change>,
): CosmosResponse {
  mode.prepare(ctx, container);
  const { partition, partitionKey } = partitionFor(ctx, container, request);
  const start = mode.start(container, request, partition);
  // The range read and its latest LSN, as the service sends them with every page: the session token is what
  // a change feed estimator compares a continuation with to tell how far behind a reader is.
  const session = sessionHeaders(container.rid, { rangeId: partition.index, lsn: partition.lsn });
  if (start === "now") {
    return {
      status: 304,
      headers: { etag: quoted(partition.lsn), ...session },
      requestCharge: requestUnits.feedPage(0),
    };
  }
  const byEpk = header(request, "x-ms-read-key-type") === "EffectivePartitionKeyRange";
  const limit = maxItemCount(request, defaultPageSize);
  const changes = mode.read(ctx, container, request, {
    partition: partition.index,
    afterLsn: start,
    minEpk: byEpk ? header(request, "x-ms-start-epk") : undefined,
    maxEpk: byEpk ? header(request, "x-ms-end-epk") : undefined,
    partitionKey,
  });
  const rendered: string[] = [];
  let bytes = 0;
  let lastLsn = start;
  for (const change of changes.items) {
    const document = mode.render(container, change);
    rendered.push(document);
    bytes += Buffer.byteLength(document);
    lastLsn = change.lsn;
    if (rendered.length === limit || bytes >= pageBytes) break;
  }
  const full = rendered.length === limit || bytes >= pageBytes;
  // A short page has seen everything up to its window's end, or else the partition's current LSN.
  const next = full ? lastLsn : (changes.examinedTo ?? partition.lsn);
  if (rendered.length === 0 && changes.examinedTo === undefined) {
    return {
      status: 304,
      headers: { etag: quoted(next), ...session },
      requestCharge: requestUnits.feedPage(0),
    };
  }
  const body = feedBody(container.rid, "Documents", rendered);
  return {
    status: 200,
    body,
    headers: { etag: quoted(next), "x-ms-item-count": String(rendered.length), ...session },
    requestCharge: requestUnits.feedPage(Buffer.byteLength(body)),
  };
}
