import assert from "node:assert/strict";
import { Client, types } from "cassandra-driver";
import { cassandraClientOptions } from "../engine/cassandra/connection";
import type { RangeReader } from "../engine/copy-backend";
import { BodyChecksum } from "../engine/documents";
import { CopyJobError } from "../engine/errors";
import { TableRowSink } from "../engine/cassandra/row-sink";
import { rowEncoding } from "../engine/cassandra/row-encoding";
import { TokenRangeReader } from "../engine/cassandra/table-reader";
import { checkCopyableSchemas, readTableSchema, type TableSchema } from "../engine/cassandra/table-schema";
import { readTable, verifyTables } from "../engine/cassandra/table-verification";
import { rangeHoldsToken, splitRing, tokenBound, type TokenRange } from "../engine/cassandra/token-ranges";
import { openCassandra, uniqueKeyspace } from "./support/cassandra-node";

import {
  columnsCql,
  createKeyspace,
  rekeyedKey,
  seedRows,
  sourceKey,
  sourceRow,
} from "./support/cassandra-tables";

/**
 * The Cassandra copy's data path against a real Apache Cassandra node: the token-range reader, the row
 * sink, the schema checks and the full verification, over a table with a composite partition key,
 * clustering columns, collections, a frozen UDT, a tuple, blobs, timestamps and nulls.
 */
const keyspace = uniqueKeyspace("copy_data");
const otherKeyspace = uniqueKeyspace("copy_data_other");
const rowCount = 3000;

async function readAll(reader: RangeReader): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let drained = false; !drained;) {
    const page = await reader.next();
    rows.push(...page.items);
    drained = page.drained;
  }
  return rows;
}

const seqOf = (row: Record<string, unknown>) => String(row.seq);

describe("Cassandra copy data path (real node)", function () {
  let client: Client;
  let source: TableSchema;
  const ranges = splitRing();

  const create = (table: string, key = sourceKey, columns = columnsCql, ks = keyspace) =>
    client.execute(`CREATE TABLE ${ks}.${table} (${columns}, ${key})`);
  const schemaOf = (table: string, ks = keyspace) => readTableSchema(client, "destination", ks, table);
  const insertAll = async (schema: TableSchema, rows: Record<string, unknown>[], concurrency?: number) => {
    const sink = new TableRowSink(
      client,
      schema,
      source.columns.map((c) => c.name),
      concurrency,
    );
    const page = { items: rows, continuation: "end", drained: true, requestCharge: 0 };
    return sink.prepare(page).write(new AbortController().signal);
  };
  /** Copies the whole source into `table` through the reader and the sink; the bodies' checksum. */
  const copyInto = async (table: string): Promise<BodyChecksum> => {
    const target = await schemaOf(table);
    const sink = new TableRowSink(
      client,
      target,
      source.columns.map((c) => c.name),
    );
    const checksum = new BodyChecksum();
    for (const range of ranges) {
      const reader = new TokenRangeReader(client, source, range, 200);
      for (let drained = false; !drained;) {
        const page = await reader.next();
        const prepared = sink.prepare(page);
        for (const body of prepared.bodies) checksum.add(body);
        await prepared.write(new AbortController().signal);
        drained = page.drained;
      }
    }
    return checksum;
  };
  const verify = async (table: string, copiedCount = rowCount) =>
    verifyTables({
      source: { client, schema: source },
      target: { client, schema: await schemaOf(table) },
      columns: source.columns.map((c) => c.name),
      ranges,
      pageSize: 500,
      copiedCount,
    });

  before(async () => {
    // The suite's node; the copy's own client decodes maps as Maps (see row-encoding.ts).
    const node = await openCassandra();
    await node.stop();
    client = new Client({ ...cassandraClientOptions(node.connection), encoding: rowEncoding });
    await client.connect();
    await createKeyspace(client, keyspace);
    await client.execute(
      `CREATE KEYSPACE ${otherKeyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await create("source");
    source = await readTableSchema(client, "source", keyspace, "source");
    await seedRows(client, keyspace, "source", rowCount);
  });

  after(async () => {
    for (const ks of [keyspace, otherKeyspace]) await client?.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
    await client?.shutdown();
  });

  it("reads a table's schema: CQL types, partition key and clustering columns", () => {
    const types = Object.fromEntries(source.columns.map((c) => [c.name, c.type]));
    assert.deepEqual(source.partitionKey, ["tenant", "region"]);
    assert.deepEqual(source.clustering, ["day", "seq"]);
    assert.equal(types.home, "frozen<address>");
    assert.equal(types.tags, "set<text>");
    assert.equal(types.attrs, "map<text, blob>");
    assert.equal(types.pair, "frozen<tuple<int, text>>");
    assert.equal(types.seq, "bigint");
    const home = source.columns.find((c) => c.name === "home")!;
    assert.equal(home.expandedType, "frozen<address{street text, zip int, tags frozen<set<text>>}>");
  });

  it("reads every row exactly once over the 64 ranges, each in the range of its token", async () => {
    const seen = new Map<string, TokenRange>();
    for (const range of ranges) {
      for (const row of await readAll(new TokenRangeReader(client, source, range, 97))) {
        assert.ok(!seen.has(seqOf(row)), `row ${seqOf(row)} read twice`);
        seen.set(seqOf(row), range);
      }
    }
    assert.equal(seen.size, rowCount);
    const tokens = await client.execute(
      `SELECT DISTINCT token(tenant, region), tenant, region FROM ${keyspace}.source`,
    );
    const rangeOfPartition = new Map(
      tokens.rows.map((row) => [`${row.tenant}/${row.region}`, tokenBound(row.get(0) as types.Long)]),
    );
    for (let i = 0; i < rowCount; i++) {
      const token = rangeOfPartition.get(`tenant-${i % 37}/${i % 5}`)!;
      assert.ok(rangeHoldsToken(seen.get(String(i))!, token), `row ${i} read in the range of its token`);
    }
  });

  it("resumes a range from a continuation without losing or repeating a row", async () => {
    const counts = await Promise.all(
      ranges.map(async (range) => ({
        range,
        rows: await readAll(new TokenRangeReader(client, source, range, 500)),
      })),
    );
    const { range, rows } = counts.reduce((a, b) => (b.rows.length > a.rows.length ? b : a));
    assert.ok(rows.length > 30, `the fullest range holds ${rows.length} rows`);
    const first = new TokenRangeReader(client, source, range, 7);
    const pages = [await first.next(), await first.next(), await first.next()];
    assert.ok(pages.every((page) => page.items.length === 7 && !page.drained));
    const resumed = new TokenRangeReader(client, source, range, 7, pages[2].continuation);
    const rest = await readAll(resumed);
    const together = [...pages.flatMap((page) => page.items), ...rest].map(seqOf);
    assert.equal(new Set(together).size, together.length, "no row read twice");
    assert.deepEqual(together, rows.map(seqOf));
    const ended = await new TokenRangeReader(client, source, range, 7, "end").next();
    assert.deepEqual(ended, { items: [], continuation: "end", drained: true, requestCharge: 0 });
    assert.throws(
      () => new TokenRangeReader(client, source, range, 7, "ab12"),
      /'ab12' is not a Cassandra range continuation/,
    );
  });

  it("copies into a table keyed otherwise: checksums of source, copy and target agree", async () => {
    await create("rekeyed", rekeyedKey);
    const copied = await copyInto("rekeyed");
    const verification = await verify("rekeyed");
    assert.equal(copied.count, rowCount);
    assert.deepEqual(
      [verification.sourceCount, verification.targetCount, verification.matched],
      [rowCount, rowCount, true],
    );
    assert.equal(verification.sourceChecksum, copied.value);
    assert.equal(verification.targetChecksum, copied.value);
    const nulls = await client.execute(`SELECT name, home, ratio FROM ${keyspace}.rekeyed WHERE seq = ?`, [
      types.Long.fromNumber(0),
    ]);
    assert.deepEqual({ ...nulls.first() }, { name: null, home: null, ratio: Number.NaN });
  });

  it("writing a page again (a replay) leaves the same rows", async () => {
    await create("replayed", rekeyedKey);
    const before = await copyInto("replayed");
    const page = await new TokenRangeReader(client, source, ranges[5], 1000).next();
    assert.ok(page.items.length > 0);
    await insertAll(await schemaOf("replayed"), page.items);
    const totals = await readTable(
      { client, schema: await schemaOf("replayed") },
      source.columns.map((c) => c.name),
      ranges,
      500,
    );
    assert.deepEqual([totals.count, totals.checksum.value], [rowCount, before.value]);
  });

  it("stops writing when its signal is aborted", async () => {
    await create("aborted");
    const sink = new TableRowSink(
      client,
      await schemaOf("aborted"),
      source.columns.map((c) => c.name),
    );
    const prepared = sink.prepare({
      items: [sourceRow(1)],
      continuation: "end",
      drained: true,
      requestCharge: 0,
    });
    await assert.rejects(prepared.write(AbortSignal.abort()), { name: "AbortError" });
  });

  it("verification finds a changed row and a missing row", async () => {
    await create("checked", rekeyedKey);
    await copyInto("checked");
    assert.equal((await verify("checked")).matched, true);
    const key = [types.Long.fromNumber(42), "tenant-5", 2, sourceRow(42).day];
    await client.execute(
      `UPDATE ${keyspace}.checked SET name = 'changed' WHERE seq = ? AND tenant = ? AND region = ? AND day = ?`,
      key,
      { prepare: true },
    );
    const changed = await verify("checked");
    assert.deepEqual([changed.matched, changed.targetCount], [false, rowCount]);
    assert.notEqual(changed.targetChecksum, changed.sourceChecksum);
    await client.execute(
      `DELETE FROM ${keyspace}.checked WHERE seq = ? AND tenant = ? AND region = ? AND day = ?`,
      key,
      { prepare: true },
    );
    const missing = await verify("checked");
    assert.deepEqual(
      [missing.matched, missing.sourceCount, missing.targetCount],
      [false, rowCount, rowCount - 1],
    );
  });

  describe("schema checks", () => {
    const refusal = async (check: () => Promise<unknown>, code: string, field: string, message: RegExp) => {
      await assert.rejects(check, (error: unknown) => {
        assert.ok(error instanceof CopyJobError, String(error));
        assert.deepEqual([error.code, error.field], [code, field]);
        assert.match(error.message, message);
        return true;
      });
    };

    it("a missing keyspace or table is the service's missing owner resource", async () => {
      await refusal(
        () => readTableSchema(client, "destination", "no_such_keyspace", "t"),
        "OwnerResourceNotFound",
        "destination",
        /the destination keyspace 'no_such_keyspace' was not found \(404, substatus 1003\)\. Create the target keyspace and table first.*pass the table resource's name as an Output/,
      );
      await refusal(
        () => readTableSchema(client, "source", keyspace, "no_such_table"),
        "OwnerResourceNotFound",
        "source",
        new RegExp(`the source table '${keyspace}\\.no_such_table' was not found .*case-sensitive`),
      );
      await refusal(
        () => readTableSchema(client, "source", keyspace, "bad-name"),
        "InvalidJobSpec",
        "source",
        /The source table name "bad-name" is not valid/,
      );
    });

    it("a destination without a column of the source names the column and the ALTER TABLE that adds it", async () => {
      await create(
        "narrow",
        sourceKey,
        columnsCql.replace("photo blob,", "").replace("ratio double", "extra text"),
      );
      await refusal(
        async () => checkCopyableSchemas(source, await schemaOf("narrow")),
        "SchemaMismatch",
        "destination",
        new RegExp(
          `lacks the source's columns 'photo' \\(blob\\), 'ratio' \\(double\\).*ALTER TABLE "${keyspace}"\\."narrow" ADD \\("photo" blob, "ratio" double\\).*Columns of the destination's own are fine`,
        ),
      );
      // The statement the fix gives is one the node takes, and then the copy can go ahead.
      await client.execute(`ALTER TABLE "${keyspace}"."narrow" ADD ("photo" blob, "ratio" double)`);
      checkCopyableSchemas(source, await schemaOf("narrow"));
    });

    it("a column of another type is named with both types, a UDT with both sets of fields", async () => {
      await create("retyped", sourceKey, columnsCql.replace("name text", "name int"));
      await refusal(
        async () => checkCopyableSchemas(source, await schemaOf("retyped")),
        "SchemaMismatch",
        "destination",
        /column 'name' is text in the source but int in the destination/,
      );
      await client.execute(`CREATE TYPE ${otherKeyspace}.address (street text, zip int)`);
      await create("elsewhere", sourceKey, columnsCql, otherKeyspace);
      await refusal(
        async () => checkCopyableSchemas(source, await schemaOf("elsewhere", otherKeyspace)),
        "SchemaMismatch",
        "destination",
        /column 'home' is frozen<address\{street text, zip int, tags frozen<set<text>>\}> in the source but frozen<address\{street text, zip int\}> in the destination/,
      );
    });

    it("refuses a destination keyed on a column the source lacks, and the source itself", async () => {
      await create("keyedElsewhere", "PRIMARY KEY ((other), seq)", `${columnsCql}, other text`);
      await refusal(
        async () => checkCopyableSchemas(source, await schemaOf("keyedelsewhere")),
        "SchemaMismatch",
        "destination",
        /its primary key columns 'other' are not columns of the source.*Key the destination on columns of the source/,
      );
      await refusal(
        async () => checkCopyableSchemas(source, source),
        "InvalidJobSpec",
        "destination",
        new RegExp(`The destination is the source table '${keyspace}\\.source'`),
      );
      assert.doesNotThrow(() => checkCopyableSchemas(source, source, false));
    });
  });

  it("writes 20,000 rows at 32, 64 and 128 inserts in flight (rows/s logged)", async function () {
    const rows = Array.from({ length: 20_000 }, (_, i) => sourceRow(i));
    for (const concurrency of [32, 64, 128]) {
      const table = `speed_${concurrency}`;
      await create(table);
      const schema = await schemaOf(table);
      const started = process.hrtime.bigint();
      await insertAll(schema, rows, concurrency);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`      concurrency ${concurrency}: ${Math.round(rows.length / seconds)} rows/s`);
      const totals = await readTable({ client, schema }, ["seq"], ranges, 1000);
      assert.equal(totals.count, rows.length);
    }
  });
});
