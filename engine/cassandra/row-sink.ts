import { errors, types, type Client } from "cassandra-driver";
import type { PageSink, PreparedPage, SourcePage, WriteCost } from "../copy-backend";
import { forEachInFlight } from "../in-flight";
import { plainRow } from "./plain-row";
import { requestChargeOf } from "./request-charge";
import { withCassandraRetries } from "./retry";
import { checkRowEncoding } from "./row-encoding";
import { qualifiedTableName, quoteIdentifier, type TableSchema } from "./table-schema";

/**
 * Inserts in flight at once per page. On one node (2 cores) 32, 64 and 128 wrote within the noise of each
 * other; a worker writes several pages at once, so 64 per page already keeps hundreds of inserts in flight,
 * and more would only queue on the node or, on Azure, meet its rate limit sooner.
 */
export const defaultWriteConcurrency = 64;

/** An overloaded answer (Azure's rate limiting), or the driver giving up on the hosts with one among their answers. */
function isOverloaded(error: unknown): boolean {
  if (error instanceof errors.NoHostAvailableError) {
    return Object.values((error.innerErrors ?? {}) as Record<string, unknown>).some(isOverloaded);
  }
  return (
    error instanceof errors.ResponseError && error.code === (types.responseErrorCodes.overloaded as number)
  );
}

/**
 * Writes pages of source rows into the target table, one prepared INSERT per row, `concurrency` at once.
 * INSERT is an upsert in CQL, so writing a page again (a replay after a crash) leaves the same rows; and the
 * target may key its rows otherwise than the source (another partition key, another clustering order),
 * since each row carries every column of both keys.
 */
export class TableRowSink implements PageSink {
  private readonly statement: string;

  /** `columns`: what each row is written with, the source's columns (all of them in the target). */
  constructor(
    private readonly client: Client,
    target: TableSchema,
    private readonly columns: readonly string[],
    private readonly concurrency = defaultWriteConcurrency,
  ) {
    checkRowEncoding(client);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(
        `Write concurrency ${concurrency} is not valid: give a whole number of 1 or more.`,
      );
    }
    const names = columns.map(quoteIdentifier).join(", ");
    const markers = columns.map(() => "?").join(", ");
    this.statement = `INSERT INTO ${qualifiedTableName(target)} (${names}) VALUES (${markers})`;
  }

  prepare(page: SourcePage): PreparedPage {
    const rows = page.items;
    return {
      bodies: rows.map(plainRow),
      write: (signal) => this.write(rows, signal),
    };
  }

  private async write(rows: Record<string, unknown>[], signal: AbortSignal): Promise<WriteCost> {
    const cost: WriteCost = { requestCharge: 0, throttled: 0 };
    await forEachInFlight(rows, this.concurrency, async (row) => {
      signal.throwIfAborted();
      // A null bound as null writes a tombstone per cell, which later reads and compactions wade through
      // until gc_grace_seconds pass; unset writes nothing, and a copied row's missing cell is null anyway.
      const values = this.columns.map((column) => row[column] ?? types.unset);
      const result = await withCassandraRetries(
        () =>
          this.client
            .execute(this.statement, values, { prepare: true, isIdempotent: true })
            .catch((error) => {
              if (isOverloaded(error)) cost.throttled += 1;
              throw error;
            }),
        signal,
      );
      cost.requestCharge += requestChargeOf(result);
    });
    return cost;
  }
}
