import { concurrent, types, type Client } from "cassandra-driver";

/**
 * A table with every kind of column a copy must carry: a composite partition key, clustering columns,
 * collections (a map keyed by int, a map of blobs), a frozen UDT, a tuple, blobs, timestamps, decimals,
 * varints, NaN, and nulls in every non-key column. `rekeyedKey` keys the same columns otherwise: another
 * partition key and another clustering order.
 */
export const columnsCql = `
  tenant text, region int, day date, seq bigint,
  name text, tags set<text>, scores list<int>, attrs map<text, blob>, seen map<int, timestamp>,
  home frozen<address>, photo blob, at timestamp, id uuid, amount decimal, big varint, ip inet,
  pair frozen<tuple<int, text>>, ratio double`;
export const sourceKey = "PRIMARY KEY ((tenant, region), day, seq)";
/** Another partition key and clustering order than the source's, over the same columns. */
export const rekeyedKey =
  "PRIMARY KEY ((seq), tenant, region, day)) WITH CLUSTERING ORDER BY (tenant DESC, region ASC, day DESC";

/** Row `i` of the source, as driver values; a few of each column are null. */
export function sourceRow(i: number): Record<string, unknown> {
  const every = (n: number, value: unknown) => (i % n === 0 ? null : value);
  return {
    tenant: `tenant-${i % 37}`,
    region: i % 5,
    day: types.LocalDate.fromDate(new Date(Date.UTC(2024, 0, 1 + (i % 300)))),
    seq: types.Long.fromNumber(i),
    name: every(11, `name ${i} ✓ "quoted"`),
    tags: every(3, [`a${i % 4}`, `b${i % 7}`]),
    scores: every(4, [i, -i, 0]),
    attrs: every(5, new Map([[`k${i}`, Buffer.from([i % 256, 0, 255])]])),
    seen: every(6, new Map([[i, new Date(Date.UTC(2023, 5, 1) + i * 1001)]])),
    home: every(7, { street: `${i} Main St`, zip: i, tags: ["x", `y${i % 3}`] }),
    photo: every(8, Buffer.from(`photo ${i}`)),
    at: every(9, new Date(Date.UTC(2024, 0, 1) + i * 1234567)),
    id: types.Uuid.fromString(`00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`),
    amount: every(10, types.BigDecimal.fromString(`${i}.${i % 100}`)),
    big: every(12, types.Integer.fromString(`${i}000000000000000000000`)),
    ip: every(13, types.InetAddress.fromString(`10.0.${i % 256}.${i % 200}`)),
    pair: every(14, new types.Tuple(i, `p${i}`)),
    ratio: i % 15 === 0 ? Number.NaN : every(16, i / 7),
  };
}

/** Creates `keyspace` (one replica per data center is enough for tests) and the UDT the table uses. */
export async function createKeyspace(client: Client, keyspace: string): Promise<void> {
  await client.execute(
    `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  await client.execute(`CREATE TYPE ${keyspace}.address (street text, zip int, tags frozen<set<text>>)`);
}

/** Creates `keyspace.table` with the fixture's columns under `key`. */
export async function createTable(
  client: Client,
  keyspace: string,
  table: string,
  key = sourceKey,
): Promise<void> {
  await client.execute(`CREATE TABLE ${keyspace}.${table} (${columnsCql}, ${key})`);
}

/** Inserts rows `0 … count-1` (as `sourceRow`) into `keyspace.table`. */
export async function seedRows(
  client: Client,
  keyspace: string,
  table: string,
  count: number,
): Promise<void> {
  const names = Object.keys(sourceRow(0));
  await concurrent.executeConcurrent(
    client,
    `INSERT INTO ${keyspace}.${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
    Array.from({ length: count }, (_, i) => {
      const row = sourceRow(i);
      return names.map((name) => row[name] ?? types.unset);
    }),
    { concurrencyLevel: 64, raiseOnFirstError: true },
  );
}
