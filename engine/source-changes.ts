import {
  extractPartitionKey,
  parsePartitionKeyPath,
  type PartitionKeyDefinition,
  type PartitionKeyValue,
} from "../partitioning/effective-partition-key";
import { withoutSystemProperties } from "./documents";
import { CopyJobError } from "./errors";

/**
 * The changes an online copy applies, read from the source's all-versions-and-deletes change feed (wire
 * format 2021-09-15): each change carries `metadata` (operation type, LSN, conflict-resolution timestamp;
 * for a delete the item's id and source partition key, as an object keyed by the key's property names) and
 * the item's `current` image (not for a delete), and for a delete the `previous` image where the service
 * gives it.
 *
 * A page is applied as one set of writes whose order the bulk API does not keep, so only the last change of
 * each item in the page is written: the item ends as that change leaves it whichever came before, which is
 * what applying them all in order would give. Pages are applied one after another, in feed order.
 */
export type ChangeOperation = "create" | "replace" | "delete";

export interface SourceChange {
  operation: ChangeOperation;
  lsn: number;
  /** When the change was made, in epoch seconds (as `_ts`). */
  crts: number;
  id: string;
  /** The item's source partition key values, in the order of the source's key paths. */
  sourceKey: PartitionKeyValue[];
  /** The item as the change left it, system properties removed (creates and replaces). */
  current?: Record<string, unknown>;
  /** The item before a delete, system properties removed, if the feed gave it. */
  previous?: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unexpected(detail: string, raw: unknown): CopyJobError {
  const shown = JSON.stringify(raw).slice(0, 200);
  return new CopyJobError(
    "UnexpectedChangeFeedItem",
    `The source's all-versions-and-deletes change feed returned an item this engine cannot apply (${detail}): ${shown}.`,
    "Report this with the item above; an offline copy does not read this feed.",
  );
}

/** A delete's key from its metadata: the values of the source key's properties, by their last path segment. */
function keyOfDeleted(definition: PartitionKeyDefinition, partitionKey: unknown): PartitionKeyValue[] {
  if (!isObject(partitionKey)) return [];
  return definition.paths.map((path) => {
    const segments = parsePartitionKeyPath(path);
    const value = partitionKey[segments[segments.length - 1]];
    return (value === undefined ? {} : value) as PartitionKeyValue;
  });
}

export function parseChange(raw: unknown, source: PartitionKeyDefinition): SourceChange {
  if (!isObject(raw) || !isObject(raw.metadata)) throw unexpected("no metadata", raw);
  const { operationType, lsn, crts } = raw.metadata;
  if (operationType !== "create" && operationType !== "replace" && operationType !== "delete") {
    throw unexpected(`operation type ${JSON.stringify(operationType)}`, raw);
  }
  if (typeof lsn !== "number" || typeof crts !== "number") throw unexpected("no lsn or crts", raw);
  const previous = isObject(raw.previous) ? withoutSystemProperties(raw.previous) : undefined;
  if (operationType === "delete") {
    const id = raw.metadata.id ?? previous?.id;
    if (typeof id !== "string") throw unexpected("a delete without the item's id", raw);
    const sourceKey = previous
      ? extractPartitionKey(source, previous)
      : keyOfDeleted(source, raw.metadata.partitionKey);
    return { operation: operationType, lsn, crts, id, sourceKey, previous };
  }
  if (!isObject(raw.current) || typeof raw.current.id !== "string") throw unexpected("no current item", raw);
  const current = withoutSystemProperties(raw.current);
  return {
    operation: operationType,
    lsn,
    crts,
    id: raw.current.id,
    sourceKey: extractPartitionKey(source, current),
    current,
    previous,
  };
}

/** The last change of each item (by id and source key), in the order those last changes came. */
export function lastChangePerItem(changes: readonly SourceChange[]): SourceChange[] {
  const last = new Map<string, SourceChange>();
  for (const change of changes) {
    const key = JSON.stringify([change.id, change.sourceKey]);
    // Deleted first so the map's order is that of each item's last change.
    last.delete(key);
    last.set(key, change);
  }
  return [...last.values()];
}
