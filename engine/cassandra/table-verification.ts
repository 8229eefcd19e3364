import type { Client } from "cassandra-driver";
import { BodyChecksum } from "../documents";
import { forEachInFlight } from "../in-flight";
import type { Verification } from "../types";
import { plainRow } from "./plain-row";
import { TokenRangeReader } from "./table-reader";
import type { TableSchema } from "./table-schema";
import type { TokenRange } from "./token-ranges";

/** Ranges read at once: enough to keep a node busy, few enough to leave room for other work. */
const rangesInFlight = 4;

/** A table's side of a check: how to reach it and what it is. */
export interface TableSide {
  client: Client;
  schema: TableSchema;
}

/** The count and checksum (`BodyChecksum` of `plainRow`s) of the rows of a table, read whole. */
export interface TableTotals {
  count: number;
  checksum: BodyChecksum;
}

/**
 * Reads every row of a table, range by range, and sums it up. `columns`: what each row is compared by (the
 * source's columns, so a target's columns of its own, null in copied rows, do not count).
 */
export async function readTable(
  side: TableSide,
  columns: readonly string[],
  ranges: readonly TokenRange[],
  pageSize: number,
  signal?: AbortSignal,
): Promise<TableTotals> {
  const checksum = new BodyChecksum();
  await forEachInFlight(ranges, rangesInFlight, async (range) => {
    const reader = new TokenRangeReader(side.client, side.schema, range, pageSize, undefined, columns);
    for (let drained = false; !drained;) {
      const page = await reader.next(signal);
      for (const row of page.items) checksum.add(plainRow(row));
      drained = page.drained;
    }
  });
  return { count: checksum.count, checksum };
}

export interface TableVerificationRequest {
  source: TableSide;
  target: TableSide;
  /** The columns the copy wrote: the source's. */
  columns: readonly string[];
  ranges: readonly TokenRange[];
  pageSize: number;
  /** Rows the copy wrote, from its range records. */
  copiedCount: number;
  signal?: AbortSignal;
}

/**
 * The closing check of a Cassandra copy, always "full": both tables read whole (Cassandra has no cheap
 * exact count), their row counts and order-independent checksums compared. It matches when the target
 * holds exactly the source's rows, whatever its keys and their order.
 */
export async function verifyTables(request: TableVerificationRequest): Promise<Verification> {
  const started = Date.now();
  const read = (side: TableSide) =>
    readTable(side, request.columns, request.ranges, request.pageSize, request.signal);
  const [source, target] = await Promise.all([read(request.source), read(request.target)]);
  return {
    mode: "full",
    sourceCount: source.count,
    copiedCount: request.copiedCount,
    targetCount: target.count,
    sourceChecksum: source.checksum.value,
    targetChecksum: target.checksum.value,
    matched: source.count === target.count && source.checksum.value === target.checksum.value,
    durationMs: Date.now() - started,
    verifiedAt: new Date().toISOString(),
  };
}
