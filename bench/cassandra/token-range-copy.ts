import { concurrent, types, type Client } from "cassandra-driver";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { forEachInFlight } from "../../engine/in-flight";
import { boundLong, splitRing } from "../../engine/cassandra/token-ranges";

/**
 * (b) for tables: what a tuned script does with the DataStax driver alone. The ring is cut into 64 token
 * ranges, several read at once, each paged with `fetchSize` and `pageState`; every row read goes into one
 * object stream that feeds `concurrent.executeConcurrent` with a prepared INSERT, which keeps
 * `concurrencyLevel` inserts in flight (the stream pauses the reads when the inserts fall behind). No
 * checkpoints, no verification: if it stops half-way, it starts over.
 *
 * Null cells are bound as `unset`, as a tuned script would: a bound null writes a tombstone.
 */
export interface TokenRangeCopySettings {
  /** Token ranges the ring is cut into. */
  ranges: number;
  /** Token ranges read at once. */
  rangesInFlight: number;
  /** Rows per page of a range's query. */
  fetchSize: number;
  /** Inserts in flight at once (`executeConcurrent`'s `concurrencyLevel`). */
  concurrencyLevel: number;
}

/**
 * Explored on the bench's default data (50,000 rows of the fixture; one local node on 2 cores shared with
 * other work, load 6.7–11.8; executeConcurrent at 128), rows/s of two rounds, interleaved:
 *   ranges at once × page:  4 × 1000: 3,520 / 4,158   8 × 1000: 3,426 / 4,100   16 × 1000: 4,813 / 3,513
 *                           8 × 500: 5,474 / 2,853   8 × 2000: 4,811 / 2,444   8 × 5000: 5,215 / 2,646
 *                           16 × 5000: 3,945 / 2,877
 * No setting stands out of the noise: the node's inserts, not the reads, bound the copy. 8 × 1000 is kept:
 * the engine's page size, and ranges enough to keep the insert stream full.
 */
export const tunedReadSettings: Omit<TokenRangeCopySettings, "concurrencyLevel"> = {
  ranges: 64,
  rangesInFlight: 8,
  fetchSize: 1000,
};

/** The concurrency levels the bench tries for `executeConcurrent`, keeping the fastest. */
export const concurrencyLevels = [32, 64, 128, 256, 512];

export interface TableNames {
  keyspace: string;
  source: string;
  target: string;
}

export async function copyByTokenRanges(
  client: Client,
  tables: TableNames,
  settings: TokenRangeCopySettings,
): Promise<void> {
  const metadata = await client.metadata.getTable(tables.keyspace, tables.source);
  if (!metadata) throw new Error(`Table ${tables.keyspace}.${tables.source} does not exist.`);
  const columns = metadata.columns.map((column) => `"${column.name}"`);
  const token = `token(${metadata.partitionKeys.map((column) => `"${column.name}"`).join(", ")})`;
  const select = `SELECT ${columns.join(", ")} FROM "${tables.keyspace}"."${tables.source}" WHERE ${token} > ? AND ${token} <= ?`;
  const insert = `INSERT INTO "${tables.keyspace}"."${tables.target}" (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;

  const rows = new PassThrough({
    objectMode: true,
    highWaterMark: settings.fetchSize * settings.rangesInFlight,
  });
  // One wait for the stream to drain, shared by every range that finds it full.
  let draining: Promise<unknown> | undefined;
  const drained = () => (draining ??= once(rows, "drain").finally(() => (draining = undefined)));
  const reading = forEachInFlight(splitRing(settings.ranges), settings.rangesInFlight, async (range) => {
    const bounds = [boundLong(range.lower), boundLong(range.upper)];
    let pageState: string | undefined;
    do {
      const page = await client.execute(select, bounds, {
        prepare: true,
        fetchSize: settings.fetchSize,
        pageState,
      });
      for (const row of page.rows) {
        if (!rows.write(row.values().map((value) => value ?? types.unset))) await drained();
      }
      pageState = page.pageState ?? undefined;
    } while (pageState !== undefined);
  }).then(
    () => rows.end(),
    (error: unknown) => rows.destroy(error as Error),
  );
  await Promise.all([
    reading,
    concurrent.executeConcurrent(client, insert, rows, {
      concurrencyLevel: settings.concurrencyLevel,
      raiseOnFirstError: true,
    }),
  ]);
}
