import type Database from "better-sqlite3";

/**
 * Users and their permissions, in tables of their own beside the data: a user belongs to a database (by
 * rid, so a database deleted and made again under the same name starts with no users), a permission to a
 * user (by rid, so renaming a user keeps its permissions).
 */
export interface UserRecord {
  databaseRid: string;
  id: string;
  rid: string;
  ts: number;
  etag: string;
}

/** What a permission covers, resolved to rids when it was written: a container, or one item in it. */
export interface PermissionScope {
  databaseRid: string;
  containerRid: string;
  /** Set for a permission on one item: its id, and its partition key JSON when the link named it by rid. */
  itemId?: string;
  itemPartitionKey?: string;
  /** `resourcePartitionKey` as the canonical JSON array the SDK sends in `x-ms-documentdb-partitionkey`. */
  partitionKey?: string;
}

export interface PermissionRecord {
  userRid: string;
  id: string;
  rid: string;
  ts: number;
  etag: string;
  /** As the client spelled it (the SDK sends `read` / `all`); compared without case. */
  permissionMode: string;
  /** The link as the client gave it, name- or rid-based. */
  resource: string;
  resourcePartitionKey?: unknown;
  scope: PermissionScope;
}

export interface UserStore {
  listUsers(databaseRid: string): UserRecord[];
  getUser(databaseRid: string, id: string): UserRecord | undefined;
  /** Inserts, or updates the user with the same rid (a replace may rename it). */
  putUser(record: UserRecord): void;
  /** Deletes the user and its permissions. */
  deleteUser(rid: string): void;
  deleteUsersOf(databaseRid: string): void;

  listPermissions(userRid: string): PermissionRecord[];
  getPermission(userRid: string, id: string): PermissionRecord | undefined;
  getPermissionByRid(rid: string): PermissionRecord | undefined;
  /** Inserts, or updates the permission with the same rid (a replace may rename it). */
  putPermission(record: PermissionRecord): void;
  deletePermission(rid: string): void;
}

const schema = `
CREATE TABLE IF NOT EXISTS users (
  database_rid TEXT NOT NULL, id TEXT NOT NULL, rid TEXT PRIMARY KEY, ts INTEGER NOT NULL, etag TEXT NOT NULL,
  UNIQUE (database_rid, id));
CREATE TABLE IF NOT EXISTS permissions (
  user_rid TEXT NOT NULL, id TEXT NOT NULL, rid TEXT PRIMARY KEY, ts INTEGER NOT NULL, etag TEXT NOT NULL,
  grant_json TEXT NOT NULL, UNIQUE (user_rid, id));
`;

interface UserRow {
  database_rid: string;
  id: string;
  rid: string;
  ts: number;
  etag: string;
}

interface PermissionRow {
  user_rid: string;
  id: string;
  rid: string;
  ts: number;
  etag: string;
  grant_json: string;
}

type Grant = Pick<PermissionRecord, "permissionMode" | "resource" | "resourcePartitionKey" | "scope">;

const toUser = (row: UserRow): UserRecord => ({
  databaseRid: row.database_rid,
  id: row.id,
  rid: row.rid,
  ts: row.ts,
  etag: row.etag,
});

const toPermission = (row: PermissionRow): PermissionRecord => ({
  userRid: row.user_rid,
  id: row.id,
  rid: row.rid,
  ts: row.ts,
  etag: row.etag,
  ...(JSON.parse(row.grant_json) as Grant),
});

/** Shares the data store's connection, so its writes join the handler's transaction. */
export class SqliteUserStore implements UserStore {
  private readonly statements;

  constructor(db: Database.Database) {
    db.exec(schema);
    this.statements = {
      listUsers: db.prepare<[string], UserRow>("SELECT * FROM users WHERE database_rid = ? ORDER BY rowid"),
      getUser: db.prepare<[string, string], UserRow>("SELECT * FROM users WHERE database_rid = ? AND id = ?"),
      putUser: db.prepare(
        `INSERT INTO users (database_rid, id, rid, ts, etag) VALUES (@databaseRid, @id, @rid, @ts, @etag)
         ON CONFLICT(rid) DO UPDATE SET id = excluded.id, ts = excluded.ts, etag = excluded.etag`,
      ),
      deleteUser: db.prepare("DELETE FROM users WHERE rid = ?"),
      deleteUsersOf: db.prepare<[string], { rid: string }>(
        "DELETE FROM users WHERE database_rid = ? RETURNING rid",
      ),
      listPermissions: db.prepare<[string], PermissionRow>(
        "SELECT * FROM permissions WHERE user_rid = ? ORDER BY rowid",
      ),
      getPermission: db.prepare<[string, string], PermissionRow>(
        "SELECT * FROM permissions WHERE user_rid = ? AND id = ?",
      ),
      getPermissionByRid: db.prepare<[string], PermissionRow>("SELECT * FROM permissions WHERE rid = ?"),
      putPermission: db.prepare(
        `INSERT INTO permissions (user_rid, id, rid, ts, etag, grant_json) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(rid) DO UPDATE SET id = excluded.id, ts = excluded.ts, etag = excluded.etag,
         grant_json = excluded.grant_json`,
      ),
      deletePermission: db.prepare("DELETE FROM permissions WHERE rid = ?"),
      deletePermissionsOf: db.prepare("DELETE FROM permissions WHERE user_rid = ?"),
    };
  }

  listUsers(databaseRid: string): UserRecord[] {
    return this.statements.listUsers.all(databaseRid).map(toUser);
  }

  getUser(databaseRid: string, id: string): UserRecord | undefined {
    const row = this.statements.getUser.get(databaseRid, id);
    return row && toUser(row);
  }

  putUser(record: UserRecord): void {
    this.statements.putUser.run(record);
  }

  deleteUser(rid: string): void {
    this.statements.deletePermissionsOf.run(rid);
    this.statements.deleteUser.run(rid);
  }

  deleteUsersOf(databaseRid: string): void {
    for (const { rid } of this.statements.deleteUsersOf.all(databaseRid)) {
      this.statements.deletePermissionsOf.run(rid);
    }
  }

  listPermissions(userRid: string): PermissionRecord[] {
    return this.statements.listPermissions.all(userRid).map(toPermission);
  }

  getPermission(userRid: string, id: string): PermissionRecord | undefined {
    const row = this.statements.getPermission.get(userRid, id);
    return row && toPermission(row);
  }

  getPermissionByRid(rid: string): PermissionRecord | undefined {
    const row = this.statements.getPermissionByRid.get(rid);
    return row && toPermission(row);
  }

  putPermission(record: PermissionRecord): void {
    const { userRid, id, rid, ts, etag, ...grant } = record;
    this.statements.putPermission.run(userRid, id, rid, ts, etag, JSON.stringify(grant satisfies Grant));
  }

  deletePermission(rid: string): void {
    this.statements.deletePermission.run(rid);
  }
}
