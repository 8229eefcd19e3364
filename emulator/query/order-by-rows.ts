/**
 * Order and resume position of the rows of a rewritten ORDER BY query (`{_rid, orderByItems, payload}`, see
 * plan.ts) within one partition. The service breaks ties between equal sort keys by the document's rid — in
 * descending order when any sort key is descending — and the SDK relies on that when it resumes: its
 * continuation names the last row's sort keys and rid, and it skips rows of the target partition that do not
 * come after them. The rid is compared as the SDK does: bytes 8–15 of the decoded rid, read little-endian.
 */
import { compareForOrder } from "./values";

export interface OrderByRow {
  _rid: string;
  orderByItems: { item?: unknown }[];
  payload?: unknown;
}

/** Where a page of ORDER BY rows ended: the last row's sort keys and rid. */
export interface OrderByPosition {
  orderByItems: { item?: unknown }[];
  _rid: string;
}

/** A row's position: its sort keys and rid, without its payload. */
export function positionOf(row: OrderByPosition): OrderByPosition {
  return { orderByItems: row.orderByItems, _rid: row._rid };
}

function ridOrdinal(rid: string): bigint {
  const bytes = Buffer.from(rid.replace(/-/g, "/"), "base64");
  let ordinal = 0n;
  for (let i = Math.min(15, bytes.length - 1); i >= 8; i--) ordinal = (ordinal << 8n) | BigInt(bytes[i]);
  return ordinal;
}

function compareRids(a: string, b: string): number {
  if (a === b) return 0;
  const x = ridOrdinal(a);
  const y = ridOrdinal(b);
  return x === y ? (a < b ? -1 : 1) : x < y ? -1 : 1;
}

/** Compares rows (or a row and a position) in the order the partition returns them. */
export function orderByRowComparator(
  descending: readonly boolean[],
): (a: OrderByPosition, b: OrderByPosition) => number {
  const ridDirection = descending.some(Boolean) ? -1 : 1;
  return (a, b) => {
    for (let i = 0; i < descending.length; i++) {
      const cmp = compareForOrder(a.orderByItems[i]?.item, b.orderByItems[i]?.item);
      if (cmp !== 0) return descending[i] ? -cmp : cmp;
    }
    return ridDirection * compareRids(a._rid, b._rid);
  };
}
