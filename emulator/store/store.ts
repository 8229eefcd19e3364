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
}

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
  minEpk?: string;
  maxEpk?: string;
  partitionKey?: string;
  sinceTs?: number;
  limit: number;
}

export interface ItemScan {
  partitions?: number[];
  partitionKey?: string;
  afterRow: number;
  limit: number;
}

export interface Store {
  transaction<T>(work: () => T): T;
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
  /** Advances the partition's log sequence number and returns the new value. */
  nextLsn(containerRid: string, partition: number): number;
  /**
   * Replaces partition `parent` by `children` (which tile its range) and moves each of its items to the
   * child that owns the item's EPK, all at once.
   */
  splitPartition(containerRid: string, parent: number, children: PartitionRecord[]): void;

  listOffers(): OfferRecord[];
  getOffer(rid: string): OfferRecord | undefined;
  getOfferForResource(resourceRid: string): OfferRecord | undefined;
  putOffer(record: OfferRecord): void;
  deleteOfferForResource(resourceRid: string): void;

  getItem(containerRid: string, partitionKey: string, id: string): ItemRecord | undefined;
  putItem(containerRid: string, item: ItemRecord): void;
  deleteItem(containerRid: string, partitionKey: string, id: string): boolean;
  itemsInLogicalPartition(containerRid: string, partitionKey: string): ItemRecord[];
  /** Latest version of each item changed after `afterLsn` in one partition, in LSN order. */
  changes(containerRid: string, query: ChangeQuery): ItemRecord[];
  /** Items in storage order from `afterRow`, for queries that stream with a continuation. */
  scanItems(containerRid: string, scan: ItemScan): { row: number; item: ItemRecord }[];
  countItems(containerRid: string): number;

  close(): void;
}
