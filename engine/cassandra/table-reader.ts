import type { Client } from "cassandra-driver";
import type { RangeReader, SourcePage } from "../copy-backend";
import { requestChargeOf } from "./request-charge";
import { withCassandraRetries } from "./retry";
import { checkRowEncoding } from "./row-encoding";
import { qualifiedTableName, quoteIdentifier, type TableSchema } from "./table-schema";
import { boundLong, type TokenRange } from "./token-ranges";

/**
 * A range's continuation: the driver's paging state of the range's query after the last page read, or
 * `end` once the range has no more rows. A paging state belongs to its statement and bound values, which a
 * reader of the same range rebuilds identically, so a worker that takes the range over resumes there.
 */
const pagePrefix = "page:";
const endOfRange = "end";
const pageStatePattern = /^page:[0-9a-f]+$/;

/**
 * The condition selecting one token range, its bounds bound as the two markers: the only shape of `token()`
 * Azure's Cassandra API accepts.
 */
export function tokenRestriction(schema: Pick<TableSchema, "partitionKey">): string {
  const token = `token(${schema.partitionKey.map(quoteIdentifier).join(", ")})`;
  return `${token} > ? AND ${token} <= ?`;
}

/** The statement reading one token range of a table: every column, in token order. */
export function rangeQuery(schema: TableSchema, columns: readonly string[]): string {
  return `SELECT ${columns.map(quoteIdentifier).join(", ")} FROM ${qualifiedTableName(schema)} WHERE ${tokenRestriction(schema)}`;
}

/**
 * Reads one token range of a table page by page (`pageSize` rows each), from its continuation or its
 * beginning. Its items are the rows as the driver decoded them (column name → driver value), what the sink
 * binds back as they are; the source is read with the columns the copy writes (`columns`, the source's by
 * default).
 */
export class TokenRangeReader implements RangeReader {
  /** Apache Cassandra charges nothing; Azure's Cassandra API reports what each page cost. */
  expectedCharge = 0;
  private readonly query: string;
  private readonly bounds: unknown[];
  private pageState: string | undefined;
  private ended: boolean;

  constructor(
    private readonly client: Client,
    schema: TableSchema,
    range: TokenRange,
    private readonly pageSize: number,
    continuation?: string,
    columns: readonly string[] = schema.columns.map((column) => column.name),
  ) {
    checkRowEncoding(client);
    if (continuation !== undefined && continuation !== endOfRange && !pageStatePattern.test(continuation)) {
      throw new Error(
        `'${continuation}' is not a Cassandra range continuation (expected 'page:' and a hex paging state, or 'end'): the range record belongs to another kind of job.`,
      );
    }
    this.query = rangeQuery(schema, columns);
    this.bounds = [boundLong(range.lower), boundLong(range.upper)];
    this.ended = continuation === endOfRange;
    this.pageState = continuation?.startsWith(pagePrefix) ? continuation.slice(pagePrefix.length) : undefined;
  }

  async next(signal?: AbortSignal): Promise<SourcePage> {
    if (this.ended) return { items: [], continuation: endOfRange, drained: true, requestCharge: 0 };
    signal?.throwIfAborted();
    const result = await withCassandraRetries(
      () =>
        this.client.execute(this.query, this.bounds, {
          prepare: true,
          fetchSize: this.pageSize,
          pageState: this.pageState,
        }),
      signal,
    );
    signal?.throwIfAborted();
    this.pageState = result.pageState ?? undefined;
    this.ended = this.pageState === undefined;
    const requestCharge = requestChargeOf(result);
    this.expectedCharge = requestCharge;
    return {
      items: result.rows.map((row) => ({ ...row })),
      continuation: this.ended ? endOfRange : `${pagePrefix}${this.pageState}`,
      drained: this.ended,
      requestCharge,
    };
  }
}
