import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  ChangeOperation,
  ChangePage,
  ChangeQuery,
  ContainerRecord,
  DatabaseRecord,
  ItemChangeQuery,
  ItemRecord,
  ItemScan,
  ItemScope,
  OfferRecord,
  PartitionBounds,
  PartitionRecord,
  ScanPosition,
  Store,
  VersionRecord,
} from "./store";
import {
  defaultExpired,
  defaultTtlOf,
  expiryClock,
  isExpired,
  ttlColumnDefinition,
  liveCondition,
  liveValues,
  ownExpiryIndex,
  type ExpiryClock,
} from "./expiry";
import { SqliteUserStore, type UserStore } from "./user-store";
import { SqliteScriptStore } from "./script-store";

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS databases (id TEXT PRIMARY KEY, rid TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers (
  database_id TEXT NOT NULL, id TEXT NOT NULL, rid TEXT NOT NULL UNIQUE, database_rid TEXT NOT NULL,
  definition TEXT NOT NULL, ts INTEGER NOT NULL, etag TEXT NOT NULL, PRIMARY KEY (database_id, id));
CREATE TABLE IF NOT EXISTS partitions (
  container_rid TEXT NOT NULL, idx INTEGER NOT NULL, min_epk TEXT NOT NULL, max_epk TEXT NOT NULL,
  lsn INTEGER NOT NULL, parents TEXT NOT NULL DEFAULT '[]', retained_after INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (container_rid, idx));
CREATE TABLE IF NOT EXISTS offers (
  rid TEXT PRIMARY KEY, resource_rid TEXT NOT NULL UNIQUE, resource_self TEXT NOT NULL,
  content TEXT NOT NULL, ts INTEGER NOT NULL, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  container_rid TEXT NOT NULL, pk TEXT NOT NULL, id TEXT NOT NULL, partition INTEGER NOT NULL,
  epk TEXT NOT NULL, lsn INTEGER NOT NULL, ts INTEGER NOT NULL, etag TEXT NOT NULL, rid TEXT NOT NULL,
  body TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS items_by_key ON items (container_rid, pk, id);
DROP INDEX IF EXISTS items_by_lsn;
CREATE INDEX IF NOT EXISTS items_by_feed ON items (container_rid, partition, lsn, epk);
CREATE INDEX IF NOT EXISTS items_by_partition ON items (container_rid, partition);
CREATE TABLE IF NOT EXISTS versions (
  container_rid TEXT NOT NULL, partition INTEGER NOT NULL, lsn INTEGER NOT NULL, operation TEXT NOT NULL,
  crts INTEGER NOT NULL, previous_lsn INTEGER, pk TEXT NOT NULL, id TEXT NOT NULL, epk TEXT NOT NULL,
  image_lsn INTEGER NOT NULL, ts INTEGER NOT NULL, etag TEXT NOT NULL, rid TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_feed ON versions (container_rid, partition, lsn, epk);
CREATE INDEX IF NOT EXISTS versions_by_age ON versions (container_rid, crts, lsn);
`;

/** Columns later versions added to `versions`: whether a delete was a TTL expiry. */
const addedVersionColumns = { ttl_expired: "INTEGER NOT NULL DEFAULT 0" };

/** Columns later versions added to `partitions`; older data directories get them with these defaults. */
const addedPartitionColumns = {
  parents: "TEXT NOT NULL DEFAULT '[]'",
  retained_after: "INTEGER NOT NULL DEFAULT 0",
};

/**
 * Index entries a filtered change-feed read (EPK sub-range, partition key, start time) examines at most per
 * page. Matching items may be rare in a large partition; without a window one page could walk all of it
 * while every other request waits on the single thread.
 */
const feedWindow = 10_000;
/** Change-feed rows read from SQLite per call: a page of 1,000 takes ten calls, a page of one, one. */
const changeChunk = 100;

/** A row with the generated `ttl` column. */
interface Expirable {
  ts: number;
  ttl: number | null;
}

interface ItemRow {
  pk: string;
  id: string;
  partition: number;
  epk: string;
  lsn: number;
  ts: number;
  etag: string;
  rid: string;
  body: string;
}

function toItem(row: ItemRow): ItemRecord {
  return {
    partitionKey: row.pk,
    id: row.id,
    partition: row.partition,
    epk: row.epk,
    lsn: row.lsn,
    ts: row.ts,
    etag: row.etag,
    rid: row.rid,
    body: row.body,
  };
}

const itemColumns = "pk, id, partition, epk, lsn, ts, etag, rid, body";

interface VersionRow {
  partition: number;
  lsn: number;
  operation: ChangeOperation;
  crts: number;
  previous_lsn: number | null;
  pk: string;
  id: string;
  epk: string;
  image_lsn: number;
  ts: number;
  etag: string;
  rid: string;
  body: string;
  ttl_expired: number;
}

const versionColumns =
  "partition, lsn, operation, crts, previous_lsn, pk, id, epk, image_lsn, ts, etag, rid, body, ttl_expired";

function toVersion(row: VersionRow): VersionRecord {
  return {
    operation: row.operation,
    lsn: row.lsn,
    crts: row.crts,
    ...(row.previous_lsn === null ? {} : { previousLsn: row.previous_lsn }),
    ...(row.ttl_expired ? { timeToLiveExpired: true } : {}),
    image: toItem({ ...row, lsn: row.image_lsn }),
  };
}

/** A table the change feed reads in LSN order per partition, through an index on (container, partition, lsn, epk). */
interface FeedSource<Row extends { lsn: number }, Change> {
  table: string;
  index: string;
  columns: string;
  toChange: (row: Row) => Change;
  /** Expired items leave the latest-version feed; the all-versions log keeps every change it recorded. */
  hidesExpired: boolean;
}

const itemFeed: FeedSource<ItemRow, ItemRecord> = {
  table: "items",
  index: "items_by_feed",
  columns: itemColumns,
  toChange: toItem,
  hidesExpired: true,
};
const versionFeed: FeedSource<VersionRow, VersionRecord> = {
  table: "versions",
  index: "versions_by_feed",
  columns: versionColumns,
  toChange: toVersion,
  hidesExpired: false,
};

/**
 * SQLite in WAL mode with `synchronous=FULL`: a write is on disk before the emulator acknowledges it, so
 * state survives a restart of the emulator and a kill -9 of any process.
 *
 * Items have three indexes, so no request walks more of a container than it returns: `items_by_key` for
 * point operations; `items_by_feed` for the change feed, in LSN order per partition, with the EPK so
 * sub-range and partition-key feeds filter without reading item rows; `items_by_partition` for scans and
 * counts (an index entry ends with its rowid, so it lists a partition's items in storage order).
 *
 * `versions` is the all-versions log of containers with a change feed policy: one row per create, replace
 * and delete, with the LSN the write got, read in LSN order through `versions_by_feed` like the items and
 * pruned oldest first through `versions_by_age`.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  readonly users: UserStore;
  private readonly statements: ReturnType<SqliteStore["prepare"]>;
  readonly scripts: SqliteScriptStore;
  /** Partition bounds by container: they change only on a split, a delete or a new container. */
  private readonly boundsByContainer = new Map<string, readonly PartitionBounds[]>();
  /** Each container's `defaultTtl` (undefined: TTL off), read on every item access, so cached. */
  private readonly defaultTtlByContainer = new Map<string, number | undefined>();
  /** Per `container/partition`: the LSN up to which the sweep for inherited expiry has looked. */
  private readonly inheritedExpirySwept = new Map<string, number>();

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, "cosmos.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(schema);
    this.addColumns("partitions", addedPartitionColumns);
    this.addColumns("versions", addedVersionColumns);
    this.addColumns("items", { ttl: ttlColumnDefinition });
    this.db.exec(ownExpiryIndex);
    this.statements = this.prepare();
    this.users = new SqliteUserStore(this.db);
    this.scripts = new SqliteScriptStore(this.db);
  }

  /**
   * Data directories from before partition splits have no `parents` column (none of their ranges has any),
   * those from before the all-versions log no `retained_after` (none of their containers logged), and
   * those from before TTL no `ttl_expired` (no delete was an expiry) and no generated `ttl`.
   */
  private addColumns(table: string, added: Record<string, string>): void {
    const columns = new Set(
      (this.db.pragma(`table_xinfo(${table})`) as { name: string }[]).map((c) => c.name),
    );
    for (const [name, definition] of Object.entries(added)) {
      if (!columns.has(name)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ),
      listDatabases: db.prepare<[], DatabaseRecord>("SELECT id, rid, ts, etag FROM databases ORDER BY rowid"),
      getDatabase: db.prepare<[string], DatabaseRecord>(
        "SELECT id, rid, ts, etag FROM databases WHERE id = ?",
      ),
      insertDatabase: db.prepare("INSERT INTO databases (id, rid, ts, etag) VALUES (@id, @rid, @ts, @etag)"),
      deleteDatabase: db.prepare("DELETE FROM databases WHERE id = ?"),
      listContainers: db.prepare<[string], ContainerRow>(
        "SELECT database_id, id, rid, database_rid, definition, ts, etag FROM containers WHERE database_id = ? ORDER BY rowid",
      ),
      getContainer: db.prepare<[string, string], ContainerRow>(
        "SELECT database_id, id, rid, database_rid, definition, ts, etag FROM containers WHERE database_id = ? AND id = ?",
      ),
      insertContainer: db.prepare(
        "INSERT INTO containers (database_id, id, rid, database_rid, definition, ts, etag) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      replaceContainer: db.prepare("UPDATE containers SET definition = ?, ts = ?, etag = ? WHERE rid = ?"),
      deleteContainer: db.prepare("DELETE FROM containers WHERE rid = ?"),
      insertPartition: db.prepare(
        "INSERT INTO partitions (container_rid, idx, min_epk, max_epk, lsn, parents, retained_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      listPartitions: db.prepare<[string], PartitionRow>(
        "SELECT idx AS 'index', min_epk AS minInclusive, max_epk AS maxExclusive, lsn, parents, retained_after AS retainedAfter FROM partitions WHERE container_rid = ? ORDER BY idx",
      ),
      deletePartition: db.prepare("DELETE FROM partitions WHERE container_rid = ? AND idx = ?"),
      movePartitionItems: db.prepare(
        "UPDATE items SET partition = ? WHERE container_rid = ? AND partition = ? AND epk >= ? AND epk < ?",
      ),
      movePartitionVersions: db.prepare(
        "UPDATE versions SET partition = ? WHERE container_rid = ? AND partition = ? AND epk >= ? AND epk < ?",
      ),
      nextLsn: db.prepare<[string, number], { lsn: number }>(
        "UPDATE partitions SET lsn = lsn + 1 WHERE container_rid = ? AND idx = ? RETURNING lsn",
      ),
      deletePartitions: db.prepare("DELETE FROM partitions WHERE container_rid = ?"),
      listOffers: db.prepare<[], OfferRow>("SELECT * FROM offers ORDER BY rowid"),
      getOffer: db.prepare<[string], OfferRow>("SELECT * FROM offers WHERE rid = ?"),
      getOfferForResource: db.prepare<[string], OfferRow>("SELECT * FROM offers WHERE resource_rid = ?"),
      putOffer: db.prepare(
        `INSERT INTO offers (rid, resource_rid, resource_self, content, ts, etag) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(rid) DO UPDATE SET content = excluded.content, ts = excluded.ts, etag = excluded.etag`,
      ),
      deleteOfferForResource: db.prepare("DELETE FROM offers WHERE resource_rid = ?"),
      getItem: db.prepare<[string, string, string], ItemRow & Expirable>(
        `SELECT ${itemColumns}, ttl FROM items WHERE container_rid = ? AND pk = ? AND id = ?`,
      ),
      putItem: db.prepare(
        `INSERT INTO items (container_rid, ${itemColumns}) VALUES (@containerRid, @partitionKey, @id, @partition, @epk, @lsn, @ts, @etag, @rid, @body)
         ON CONFLICT(container_rid, pk, id) DO UPDATE SET lsn = excluded.lsn, ts = excluded.ts, etag = excluded.etag, body = excluded.body`,
      ),
      deleteItem: db.prepare("DELETE FROM items WHERE container_rid = ? AND pk = ? AND id = ?"),
      deleteItems: db.prepare("DELETE FROM items WHERE container_rid = ?"),
      logicalPartition: db.prepare<[string, string], ItemRow & Expirable>(
        `SELECT ${itemColumns}, ttl FROM items WHERE container_rid = ? AND pk = ?`,
      ),
      appendVersion: db.prepare(
        `INSERT INTO versions (container_rid, ${versionColumns}) VALUES (@containerRid, @partition, @lsn, @operation, @crts, @previousLsn, @partitionKey, @id, @epk, @imageLsn, @ts, @etag, @rid, @body, @ttlExpired)`,
      ),
      pruneVersions: db.prepare<[string, number, number], { partition: number; lsn: number }>(
        `DELETE FROM versions WHERE rowid IN (SELECT rowid FROM versions INDEXED BY versions_by_age
         WHERE container_rid = ? AND crts < ? ORDER BY crts, lsn LIMIT ?) RETURNING partition, lsn`,
      ),
      raiseRetainedAfter: db.prepare(
        "UPDATE partitions SET retained_after = max(retained_after, ?) WHERE container_rid = ? AND idx = ?",
      ),
      retainFromNow: db.prepare("UPDATE partitions SET retained_after = lsn WHERE container_rid = ?"),
      deleteVersions: db.prepare("DELETE FROM versions WHERE container_rid = ?"),
      containerDefinition: db.prepare<[string], { definition: string }>(
        "SELECT definition FROM containers WHERE rid = ?",
      ),
      ownExpired: db.prepare<[string, number, number], ItemRow>(
        `SELECT ${itemColumns} FROM items INDEXED BY items_by_own_expiry WHERE container_rid = ? AND ttl > 0 AND ts + ttl < ? ORDER BY ts + ttl LIMIT ?`,
      ),
      inheritingExpiry: db.prepare<[string, number, number, number], ItemRow & Expirable>(
        `SELECT ${itemColumns}, ttl FROM items INDEXED BY items_by_feed WHERE container_rid = ? AND partition = ? AND lsn > ? ORDER BY lsn LIMIT ?`,
      ),
    };
  }

  transaction<T>(work: () => T): T {
    try {
      return this.db.transaction(work)();
    } catch (error) {
      // Bounds read inside a transaction that rolled back may describe partitions that never were, and
      // TTL settings containers that never were.
      this.boundsByContainer.clear();
      this.defaultTtlByContainer.clear();
      throw error;
    }
  }

  getMeta(key: string): string | undefined {
    return this.statements.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.statements.setMeta.run(key, value);
  }

  listDatabases(): DatabaseRecord[] {
    return this.statements.listDatabases.all();
  }

  getDatabase(id: string): DatabaseRecord | undefined {
    return this.statements.getDatabase.get(id);
  }

  insertDatabase(record: DatabaseRecord): void {
    this.statements.insertDatabase.run(record);
  }

  deleteDatabase(id: string): void {
    const database = this.getDatabase(id);
    if (!database) return;
    for (const container of this.listContainers(id)) this.deleteContainer(id, container.id);
    this.statements.deleteOfferForResource.run(database.rid);
    this.users.deleteUsersOf(database.rid);
    this.statements.deleteDatabase.run(id);
  }

  listContainers(databaseId: string): ContainerRecord[] {
    return this.statements.listContainers.all(databaseId).map(toContainer);
  }

  getContainer(databaseId: string, id: string): ContainerRecord | undefined {
    const row = this.statements.getContainer.get(databaseId, id);
    return row && toContainer(row);
  }

  insertContainer(record: ContainerRecord, partitions: PartitionRecord[]): void {
    this.statements.insertContainer.run(
      record.databaseId,
      record.id,
      record.rid,
      record.databaseRid,
      JSON.stringify(record.definition),
      record.ts,
      record.etag,
    );
    for (const p of partitions) this.insertPartition(record.rid, p);
  }

  private insertPartition(containerRid: string, p: PartitionRecord): void {
    this.boundsByContainer.delete(containerRid);
    this.statements.insertPartition.run(
      containerRid,
      p.index,
      p.minInclusive,
      p.maxExclusive,
      p.lsn,
      JSON.stringify(p.parents),
      p.retainedAfter,
    );
  }

  replaceContainer(record: ContainerRecord): void {
    this.defaultTtlByContainer.delete(record.rid);
    this.statements.replaceContainer.run(
      JSON.stringify(record.definition),
      record.ts,
      record.etag,
      record.rid,
    );
  }

  deleteContainer(databaseId: string, id: string): void {
    const container = this.getContainer(databaseId, id);
    if (!container) return;
    this.statements.deleteItems.run(container.rid);
    this.statements.deleteVersions.run(container.rid);
    this.scripts.deleteContainerScripts(container.rid);
    this.statements.deletePartitions.run(container.rid);
    this.boundsByContainer.delete(container.rid);
    this.defaultTtlByContainer.delete(container.rid);
    this.statements.deleteOfferForResource.run(container.rid);
    this.statements.deleteContainer.run(container.rid);
  }

  partitionBounds(containerRid: string): readonly PartitionBounds[] {
    let bounds = this.boundsByContainer.get(containerRid);
    if (!bounds) {
      bounds = this.listPartitions(containerRid).map(
        ({ lsn: _lsn, retainedAfter: _retainedAfter, ...partition }) => partition,
      );
      this.boundsByContainer.set(containerRid, bounds);
    }
    return bounds;
  }

  listPartitions(containerRid: string): PartitionRecord[] {
    return this.statements.listPartitions
      .all(containerRid)
      .map((row) => ({ ...row, parents: JSON.parse(row.parents) as number[] }));
  }

  splitPartition(containerRid: string, parent: number, children: PartitionRecord[]): void {
    this.transaction(() => {
      this.boundsByContainer.delete(containerRid);
      this.statements.deletePartition.run(containerRid, parent);
      for (const child of children) {
        this.insertPartition(containerRid, child);
        for (const move of [this.statements.movePartitionItems, this.statements.movePartitionVersions]) {
          move.run(child.index, containerRid, parent, child.minInclusive, child.maxExclusive);
        }
      }
    });
  }

  nextLsn(containerRid: string, partition: number): number {
    // Outside a transaction the new LSN would be committed on its own, and a write that failed after taking
    // it would leave a gap in the partition's sequence.
    if (!this.db.inTransaction) {
      throw new Error(`an LSN of container ${containerRid} was requested outside the write's transaction`);
    }
    const row = this.statements.nextLsn.get(containerRid, partition);
    if (!row) throw new Error(`partition ${partition} of container ${containerRid} does not exist`);
    return row.lsn;
  }

  listOffers(): OfferRecord[] {
    return this.statements.listOffers.all().map(toOffer);
  }

  getOffer(rid: string): OfferRecord | undefined {
    const row = this.statements.getOffer.get(rid);
    return row && toOffer(row);
  }

  getOfferForResource(resourceRid: string): OfferRecord | undefined {
    const row = this.statements.getOfferForResource.get(resourceRid);
    return row && toOffer(row);
  }

  putOffer(record: OfferRecord): void {
    this.statements.putOffer.run(
      record.rid,
      record.resourceRid,
      record.resourceSelf,
      JSON.stringify(record.content),
      record.ts,
      record.etag,
    );
  }

  deleteOfferForResource(resourceRid: string): void {
    this.statements.deleteOfferForResource.run(resourceRid);
  }

  getItem(containerRid: string, partitionKey: string, id: string): ItemRecord | undefined {
    const row = this.statements.getItem.get(containerRid, partitionKey, id);
    const clock = this.expiryClock(containerRid);
    return row && !(clock && isExpired(row, clock)) ? toItem(row) : undefined;
  }

  putItem(containerRid: string, item: ItemRecord): void {
    this.statements.putItem.run({ containerRid, ...item });
  }

  deleteItem(containerRid: string, partitionKey: string, id: string): boolean {
    return this.statements.deleteItem.run(containerRid, partitionKey, id).changes > 0;
  }

  itemsInLogicalPartition(containerRid: string, partitionKey: string): ItemRecord[] {
    const clock = this.expiryClock(containerRid);
    return this.statements.logicalPartition
      .all(containerRid, partitionKey)
      .filter((row) => !(clock && isExpired(row, clock)))
      .map(toItem);
  }

  changes(containerRid: string, query: ItemChangeQuery): ChangePage<ItemRecord> {
    return this.feed(itemFeed, containerRid, query);
  }

  versions(containerRid: string, query: ChangeQuery): ChangePage<VersionRecord> {
    return this.feed(versionFeed, containerRid, query);
  }

  appendVersion(containerRid: string, version: VersionRecord): void {
    const { image, ...change } = version;
    this.statements.appendVersion.run({
      containerRid,
      ...image,
      ...change,
      previousLsn: change.previousLsn ?? null,
      ttlExpired: change.timeToLiveExpired ? 1 : 0,
      imageLsn: image.lsn,
    });
  }

  pruneVersions(containerRid: string, beforeTs: number, limit: number): void {
    this.transaction(() => {
      const retainedAfter = new Map<number, number>();
      for (const { partition, lsn } of this.statements.pruneVersions.all(containerRid, beforeTs, limit)) {
        retainedAfter.set(partition, Math.max(lsn, retainedAfter.get(partition) ?? lsn));
      }
      for (const [partition, lsn] of retainedAfter) {
        this.statements.raiseRetainedAfter.run(lsn, containerRid, partition);
      }
    });
  }

  restartVersions(containerRid: string): void {
    this.statements.deleteVersions.run(containerRid);
    this.statements.retainFromNow.run(containerRid);
  }

  private feed<Row extends { lsn: number }, Change>(
    source: FeedSource<Row, Change>,
    containerRid: string,
    query: ItemChangeQuery,
  ): ChangePage<Change> {
    const conditions = ["container_rid = ?", "partition = ?", "lsn > ?"];
    const values: (string | number | null)[] = [containerRid, query.partition, query.afterLsn];
    const unfiltered = conditions.length;
    const where = (condition: string, ...value: (string | number | null)[]) => {
      conditions.push(condition);
      values.push(...value);
    };
    if (query.minEpk !== undefined) where("epk >= ?", query.minEpk);
    if (query.maxEpk !== undefined) where("epk < ?", query.maxEpk);
    if (query.partitionKey !== undefined) {
      // The EPK test runs on the index; the key itself is checked only on the rows that pass it.
      where("epk = ?", query.partitionKey.epk);
      where("pk = ?", query.partitionKey.value);
    }
    if (query.sinceTs !== undefined) where("ts >= ?", query.sinceTs);
    if (source.hidesExpired) this.hideExpired(containerRid, conditions, values);
    const examinedTo =
      conditions.length > unfiltered ? this.windowEnd(source, containerRid, query) : undefined;
    if (examinedTo !== undefined) where("lsn <= ?", examinedTo);
    const sql = `SELECT ${source.columns} FROM ${source.table} INDEXED BY ${source.index} WHERE ${conditions.join(" AND ")} ORDER BY lsn LIMIT ${changeChunk}`;
    const statement = this.cached(sql);
    // Rows come a chunk at a time (one call into SQLite per chunk, not per row), and a caller that stops
    // pulling reads no further chunk. `values[2]` is the LSN the next chunk starts after.
    function* changes(): Generator<Change> {
      for (;;) {
        const rows = statement.all(...values) as Row[];
        for (const row of rows) yield source.toChange(row);
        if (rows.length < changeChunk) return;
        values[2] = rows[rows.length - 1].lsn;
      }
    }
    return { items: changes(), examinedTo };
  }

  /** The LSN `feedWindow` entries on from `afterLsn`, or undefined when the partition ends sooner. */
  private windowEnd(
    source: Pick<FeedSource<{ lsn: number }, unknown>, "table" | "index">,
    containerRid: string,
    query: ChangeQuery,
  ): number | undefined {
    const sql = `SELECT lsn FROM ${source.table} INDEXED BY ${source.index} WHERE container_rid = ? AND partition = ? AND lsn > ? ORDER BY lsn LIMIT 1 OFFSET ?`;
    const row = this.cached(sql).get(containerRid, query.partition, query.afterLsn, feedWindow - 1);
    return (row as { lsn: number } | undefined)?.lsn;
  }

  scanItems(containerRid: string, scan: ItemScan): { position: ScanPosition; item: ItemRecord }[] {
    if (scan.partitionKey !== undefined) return this.scanLogicalPartition(containerRid, scan);
    const partitions =
      scan.partition !== undefined ? [scan.partition] : this.listPartitions(containerRid).map((p) => p.index);
    const results: { position: ScanPosition; item: ItemRecord }[] = [];
    for (const partition of partitions) {
      if (scan.after && partition < scan.after.partition) continue;
      const afterRow = scan.after?.partition === partition ? scan.after.row : 0;
      const conditions = ["container_rid = ?", "partition = ?", "rowid > ?"];
      const values: (string | number | null)[] = [containerRid, partition, afterRow];
      this.hideExpired(containerRid, conditions, values);
      const sql = `SELECT rowid AS row, ${itemColumns} FROM items INDEXED BY items_by_partition WHERE ${conditions.join(" AND ")} ORDER BY rowid LIMIT ?`;
      const rows = this.cached(sql).all(...values, scan.limit - results.length) as (ItemRow & {
        row: number;
      })[];
      for (const row of rows) results.push({ position: { partition, row: row.row }, item: toItem(row) });
      if (results.length === scan.limit) break;
    }
    return results;
  }

  /** A logical partition lives in one physical partition and is small enough to order by rowid. */
  private scanLogicalPartition(containerRid: string, scan: ItemScan) {
    const conditions = ["container_rid = ?", "pk = ?", "rowid > ?"];
    const values: (string | number | null)[] = [
      containerRid,
      scan.partitionKey as string,
      scan.after?.row ?? 0,
    ];
    if (scan.partition !== undefined) {
      conditions.push("partition = ?");
      values.push(scan.partition);
    }
    this.hideExpired(containerRid, conditions, values);
    const sql = `SELECT rowid AS row, ${itemColumns} FROM items INDEXED BY items_by_key WHERE ${conditions.join(" AND ")} ORDER BY rowid LIMIT ?`;
    return (this.cached(sql).all(...values, scan.limit) as (ItemRow & { row: number })[]).map((row) => ({
      position: { partition: row.partition, row: row.row },
      item: toItem(row),
    }));
  }

  itemAt(containerRid: string, position: ScanPosition): ItemRecord | undefined {
    const conditions = ["rowid = ?", "container_rid = ?", "partition = ?"];
    const values: (string | number | null)[] = [position.row, containerRid, position.partition];
    this.hideExpired(containerRid, conditions, values);
    const sql = `SELECT ${itemColumns} FROM items WHERE ${conditions.join(" AND ")}`;
    const row = this.cached(sql).get(...values) as ItemRow | undefined;
    return row && toItem(row);
  }

  countItems(containerRid: string, scope: ItemScope): number {
    const conditions = ["container_rid = ?"];
    const values: (string | number | null)[] = [containerRid];
    if (scope.partition !== undefined) {
      conditions.push("partition = ?");
      values.push(scope.partition);
    }
    if (scope.partitionKey !== undefined) {
      conditions.push("pk = ?");
      values.push(scope.partitionKey);
    }
    this.hideExpired(containerRid, conditions, values);
    const sql = `SELECT COUNT(*) AS n FROM items WHERE ${conditions.join(" AND ")}`;
    return (this.cached(sql).get(...values) as { n: number }).n;
  }

  itemUsage(containerRid: string): { count: number; bytes: number } {
    const conditions = ["container_rid = ?"];
    const values: (string | number | null)[] = [containerRid];
    this.hideExpired(containerRid, conditions, values);
    const sql = `SELECT COUNT(*) AS count, ifnull(SUM(length(CAST(body AS BLOB))), 0) AS bytes FROM items WHERE ${conditions.join(" AND ")}`;
    return this.cached(sql).get(...values) as { count: number; bytes: number };
  }

  /** Adds the not-expired test to a WHERE clause when the container has TTL on. */
  private hideExpired(containerRid: string, conditions: string[], values: (string | number | null)[]): void {
    const clock = this.expiryClock(containerRid);
    if (!clock) return;
    conditions.push(liveCondition);
    values.push(...liveValues(clock));
  }

  private expiryClock(containerRid: string): ExpiryClock | undefined {
    if (!this.defaultTtlByContainer.has(containerRid)) {
      const row = this.statements.containerDefinition.get(containerRid);
      const definition = row ? (JSON.parse(row.definition) as { defaultTtl?: unknown }) : {};
      this.defaultTtlByContainer.set(containerRid, defaultTtlOf(definition));
    }
    return expiryClock(this.defaultTtlByContainer.get(containerRid));
  }

  expiredItems(containerRid: string, limit: number): ItemRecord[] {
    const clock = this.expiryClock(containerRid);
    if (!clock) return [];
    const expired = this.statements.ownExpired.all(containerRid, clock.now, limit).map(toItem);
    if (clock.defaultTtl <= 0) return expired;
    for (const { index } of this.partitionBounds(containerRid)) {
      if (expired.length >= limit) break;
      expired.push(...this.inheritedExpired(containerRid, index, clock, limit - expired.length));
    }
    return expired;
  }

  /**
   * Items that expire by the container's default, found by walking the partition in LSN order — the order
   * they were written in, so oldest first — from where the last walk stopped: items with a `ttl` of their
   * own are passed over for good (the expiry index finds those), and the walk stops at the first item
   * whose default lifetime has not run out. No index over every item is needed for this.
   */
  private inheritedExpired(containerRid: string, partition: number, clock: ExpiryClock, limit: number) {
    const key = `${containerRid}/${partition}`;
    let sweptTo = this.inheritedExpirySwept.get(key) ?? 0;
    const expired: ItemRecord[] = [];
    for (const row of this.statements.inheritingExpiry.all(containerRid, partition, sweptTo, limit)) {
      if (row.ttl === null && !defaultExpired(row.ts, clock)) break;
      if (row.ttl === null) expired.push(toItem(row));
      sweptTo = row.lsn;
    }
    this.inheritedExpirySwept.set(key, sweptTo);
    return expired;
  }

  close(): void {
    this.db.close();
  }

  private readonly statementCache = new Map<string, Database.Statement>();

  /** Queries with optional filters have a handful of shapes; each is prepared once. */
  private cached(sql: string): Database.Statement {
    let statement = this.statementCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statementCache.set(sql, statement);
    }
    return statement;
  }
}

type PartitionRow = Omit<PartitionRecord, "parents"> & { parents: string };

interface ContainerRow {
  database_id: string;
  id: string;
  rid: string;
  database_rid: string;
  definition: string;
  ts: number;
  etag: string;
}

function toContainer(row: ContainerRow): ContainerRecord {
  return {
    databaseId: row.database_id,
    databaseRid: row.database_rid,
    id: row.id,
    rid: row.rid,
    definition: JSON.parse(row.definition),
    ts: row.ts,
    etag: row.etag,
  };
}

interface OfferRow {
  rid: string;
  resource_rid: string;
  resource_self: string;
  content: string;
  ts: number;
  etag: string;
}

function toOffer(row: OfferRow): OfferRecord {
  return {
    rid: row.rid,
    resourceRid: row.resource_rid,
    resourceSelf: row.resource_self,
    content: JSON.parse(row.content),
    ts: row.ts,
    etag: row.etag,
  };
}
