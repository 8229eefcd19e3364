import type { UserStore } from "./user-store";
import type { ScriptStore } from "./script-store";

/**
 * The emulator's persistence boundary. Handlers see only this interface; `SqliteStore` is the durable
 * implementation. Every method is synchronous so a handler's reads and writes run inside one transaction.
 */
export interface DatabaseRecord {
  id: string;
  rid: string;
  ts: number;
  etag: string;
}

/** What the client sent when it created the container, minus throughput (which lives in an offer). */
export interface ContainerDefinition {
  id: string;
  partitionKey: { paths: string[]; kind: string; version?: number; systemKey?: boolean };
  indexingPolicy?: unknown;
  uniqueKeyPolicy?: { uniqueKeys: { paths: string[] }[] };
  /** Minutes the all-versions-and-deletes change feed keeps each change; absent or 0: no such feed. */
  changeFeedPolicy?: { retentionDuration?: number };
  /** Seconds items live after their last write; -1: TTL on without a default; absent: TTL off. */
  defaultTtl?: number;
  [other: string]: unknown;
}

export interface ContainerRecord {
  databaseId: string;
  databaseRid: string;
  id: string;
  rid: string;
  definition: ContainerDefinition;
  ts: number;
  etag: string;
}

/**
 * A physical partition: an EPK range with its own log sequence number. `index` is its partition key range
 * id; `parents` lists the ranges it was split from, oldest first.
 */
export interface PartitionRecord {
  index: number;
  minInclusive: string;
  maxExclusive: string;
  lsn: number;
  parents: number[];
  /**
   * The all-versions log holds every change after this LSN: earlier ones were pruned, or were made before
   * the container's change feed policy existed.
   */
  retainedAfter: number;
}

export type PartitionBounds = Omit<PartitionRecord, "lsn" | "retainedAfter">;

export interface OfferContent {
  offerThroughput?: number;
  offerAutopilotSettings?: { maxThroughput: number };
}

export interface OfferRecord {
  rid: string;
  resourceRid: string;
  resourceSelf: string;
  content: OfferContent;
  ts: number;
  etag: string;
}

export interface ItemRecord {
  /** The partition key values as the JSON array the SDK sends in `x-ms-documentdb-partitionkey`. */
  partitionKey: string;
  id: string;
  partition: number;
  epk: string;
  lsn: number;
  ts: number;
  etag: string;
  rid: string;
  /** The user's document as JSON, without system properties. */
  body: string;
}

export interface ChangeQuery {
  partition: number;
  afterLsn: number;
  /** An EPK sub-range `[minEpk, maxEpk)` of the partition. */
  minEpk?: string;
  maxEpk?: string;
  /** One logical partition: its canonical key and the EPK it hashes to. */
  partitionKey?: { value: string; epk: string };
}

export interface ItemChangeQuery extends ChangeQuery {
  /** Only items last written at or after this time (seconds, like `_ts`). */
  sinceTs?: number;
}

export type ChangeOperation = "create" | "replace" | "delete";

/** One entry of the all-versions log: a write or a delete, with the LSN it got. */
export interface VersionRecord {
  operation: ChangeOperation;
  lsn: number;
  /** When the change was made, in seconds like `_ts`. */
  crts: number;
  /** The LSN of the version this change replaced or deleted. */
  previousLsn?: number;
  /** The item as written; for a delete, the version it removed (whose LSN is `previousLsn`). */
  image: ItemRecord;
  /** A delete made by TTL expiry rather than by a client. */
  timeToLiveExpired?: boolean;
}

export interface ChangePage<Change> {
  /** Changes in LSN order; read lazily, so a caller that stops early reads no further. */
  items: Iterable<Change>;
  /**
   * Set when a filtered read stopped at the end of its window rather than at the partition's end: every
   * change up to this LSN has been examined, so the next read continues after it even if `items` was short.
   */
  examinedTo?: number;
}

/** Which items a scan or count covers: a container, one physical partition, or one logical partition. */
export interface ItemScope {
  partition?: number;
  /** The canonical partition key JSON. */
  partitionKey?: string;
}

/** Where a storage-order scan stands: partitions are read one after another, each in row order. */
export interface ScanPosition {
  partition: number;
  row: number;
}

export interface ItemScan extends ItemScope {
  after?: ScanPosition;
  limit: number;
}

export interface Store {
  transaction<T>(work: () => T): T;
  /** Users and permissions (see `user-store.ts`); a deleted database takes its users with it. */
  readonly users: UserStore;
  /** Stored procedures, triggers and UDFs; a container's go when it is deleted. */
  readonly scripts: ScriptStore;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;

  listDatabases(): DatabaseRecord[];
  getDatabase(id: string): DatabaseRecord | undefined;
  insertDatabase(record: DatabaseRecord): void;
  deleteDatabase(id: string): void;

  listContainers(databaseId: string): ContainerRecord[];
  getContainer(databaseId: string, id: string): ContainerRecord | undefined;
  insertContainer(record: ContainerRecord, partitions: PartitionRecord[]): void;
  replaceContainer(record: ContainerRecord): void;
  deleteContainer(databaseId: string, id: string): void;

  listPartitions(containerRid: string): PartitionRecord[];
  /** The partitions' bounds without their LSNs: what routing needs on every write, so it may be cached. */
  partitionBounds(containerRid: string): readonly PartitionBounds[];
  /**
   * Advances the partition's log sequence number and returns the new value. Only inside the write's
   * transaction, so a write that fails rolls its LSN back with it.
   */
  nextLsn(containerRid: string, partition: number): number;
  /**
   * Replaces partition `parent` by `children` (which tile its range) and moves each of its items and logged
   * versions to the child that owns the item's EPK, all at once.
   */
  splitPartition(containerRid: string, parent: number, children: PartitionRecord[]): void;

  listOffers(): OfferRecord[];
  getOffer(rid: string): OfferRecord | undefined;
  getOfferForResource(resourceRid: string): OfferRecord | undefined;
  putOffer(record: OfferRecord): void;
  deleteOfferForResource(resourceRid: string): void;

  /**
   * Item reads, scans, counts and the latest-version feed never return an item that has expired under the
   * container's TTL (see `expiry.ts`), purged or not.
   */
  getItem(containerRid: string, partitionKey: string, id: string): ItemRecord | undefined;
  putItem(containerRid: string, item: ItemRecord): void;
  deleteItem(containerRid: string, partitionKey: string, id: string): boolean;
  itemsInLogicalPartition(containerRid: string, partitionKey: string): ItemRecord[];
  /** Latest version of each item changed after `afterLsn` in one partition, in LSN order. */
  changes(containerRid: string, query: ItemChangeQuery): ChangePage<ItemRecord>;

  appendVersion(containerRid: string, version: VersionRecord): void;
  /** Every version logged after `afterLsn` in one partition, in LSN order. */
  versions(containerRid: string, query: ChangeQuery): ChangePage<VersionRecord>;
  /**
   * Drops up to `limit` of the oldest versions made before `beforeTs`, raising their partitions'
   * `retainedAfter` past them.
   */
  pruneVersions(containerRid: string, beforeTs: number, limit: number): void;
  /** Empties the container's log and starts it afresh at each partition's current LSN. */
  restartVersions(containerRid: string): void;
  /** Items in storage order after `after`, for queries that stream with a continuation. */
  scanItems(containerRid: string, scan: ItemScan): { position: ScanPosition; item: ItemRecord }[];
  /** The item a scan returned at `position`, unless it has since been deleted, replaced away or expired. */
  itemAt(containerRid: string, position: ScanPosition): ItemRecord | undefined;
  /** Counted from an index: no item is read (unless the container has TTL on). */
  countItems(containerRid: string, scope: ItemScope): number;
  /** How many items the container holds and their bytes, as its quota usage reports them. */
  itemUsage(containerRid: string): { count: number; bytes: number };
  /** Up to `limit` expired items still stored, for the caller to purge; oldest first where it can tell. */
  expiredItems(containerRid: string, limit: number): ItemRecord[];

  close(): void;
}
