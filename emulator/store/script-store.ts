import type Database from "better-sqlite3";

/**
 * Server-side scripts of a container: stored procedures, triggers and user-defined functions. They live in
 * their own table, keyed by container, kind and id, and leave with their container.
 */
export type ScriptKind = "sprocs" | "triggers" | "udfs";

export interface ScriptRecord {
  containerRid: string;
  kind: ScriptKind;
  id: string;
  rid: string;
  ts: number;
  etag: string;
  /** The user's definition as JSON (`id`, `body` and, for triggers, `triggerType`/`triggerOperation`). */
  definition: string;
}

export interface ScriptStore {
  listScripts(containerRid: string, kind: ScriptKind): ScriptRecord[];
  getScript(containerRid: string, kind: ScriptKind, id: string): ScriptRecord | undefined;
  /** Inserts the script, or overwrites the one with its id. */
  putScript(record: ScriptRecord): void;
  deleteScript(containerRid: string, kind: ScriptKind, id: string): boolean;
  deleteContainerScripts(containerRid: string): void;
}

const schema = `
CREATE TABLE IF NOT EXISTS scripts (
  container_rid TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, rid TEXT NOT NULL, ts INTEGER NOT NULL,
  etag TEXT NOT NULL, definition TEXT NOT NULL, PRIMARY KEY (container_rid, kind, id));
`;

const columns = "container_rid AS containerRid, kind, id, rid, ts, etag, definition";

export class SqliteScriptStore implements ScriptStore {
  private readonly statements;

  constructor(db: Database.Database) {
    db.exec(schema);
    this.statements = {
      list: db.prepare<[string, string], ScriptRecord>(
        `SELECT ${columns} FROM scripts WHERE container_rid = ? AND kind = ? ORDER BY rowid`,
      ),
      get: db.prepare<[string, string, string], ScriptRecord>(
        `SELECT ${columns} FROM scripts WHERE container_rid = ? AND kind = ? AND id = ?`,
      ),
      put: db.prepare(
        `INSERT INTO scripts (container_rid, kind, id, rid, ts, etag, definition)
         VALUES (@containerRid, @kind, @id, @rid, @ts, @etag, @definition)
         ON CONFLICT(container_rid, kind, id) DO UPDATE SET ts = excluded.ts, etag = excluded.etag, definition = excluded.definition`,
      ),
      delete: db.prepare("DELETE FROM scripts WHERE container_rid = ? AND kind = ? AND id = ?"),
      deleteAll: db.prepare("DELETE FROM scripts WHERE container_rid = ?"),
    };
  }

  listScripts(containerRid: string, kind: ScriptKind): ScriptRecord[] {
    return this.statements.list.all(containerRid, kind);
  }

  getScript(containerRid: string, kind: ScriptKind, id: string): ScriptRecord | undefined {
    return this.statements.get.get(containerRid, kind, id);
  }

  putScript(record: ScriptRecord): void {
    this.statements.put.run(record);
  }

  deleteScript(containerRid: string, kind: ScriptKind, id: string): boolean {
    return this.statements.delete.run(containerRid, kind, id).changes > 0;
  }

  deleteContainerScripts(containerRid: string): void {
    this.statements.deleteAll.run(containerRid);
  }
}
