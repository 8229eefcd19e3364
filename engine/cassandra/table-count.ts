import type { Client } from "cassandra-driver";
import { forEachInFlight } from "../in-flight";
import { withCassandraRetries } from "./retry";
import { tokenRestriction } from "./table-reader";
import { qualifiedTableName, type TableSchema } from "./table-schema";
import { boundLong, type TokenRange } from "./token-ranges";

/** Ranges counted at once. */
const rangesInFlight = 4;
/** A count scans its range on the server: give it longer than a page's read. */
const countTimeoutMs = 120_000;

/** The table's row count, summed over `ranges` (the whole ring: every row once), counted by the cluster. */
export async function countRows(
  client: Client,
  schema: TableSchema,
  ranges: readonly TokenRange[],
): Promise<number> {
  const query = `SELECT COUNT(*) FROM ${qualifiedTableName(schema)} WHERE ${tokenRestriction(schema)}`;
  let total = 0;
  await forEachInFlight(ranges, rangesInFlight, async (range) => {
    const result = await withCassandraRetries(() =>
      client.execute(query, [boundLong(range.lower), boundLong(range.upper)], {
        prepare: true,
        readTimeout: countTimeoutMs,
      }),
    );
    total += Number(result.first().get("count"));
  });
  return total;
}
