import type { Container } from "@azure/cosmos";
import { extractPartitionKey, type PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { upsertOf, type BulkWriter, type InsertWrite, type WriteResult } from "./bulk-writer";
import { canonicalBody } from "./documents";
import { CopyJobError } from "./errors";
import { describeKey } from "./preflight-analysis";
import { withRetries } from "./retry";
import { forEachInFlight } from "./in-flight";
import { partitionKeyOf } from "./verification";

/**
 * No silent overwrite. A copied item is inserted, not upserted; when the target already holds an item with
 * its id under its target key, that item is read and the conflict resolved:
 * - the same body: a page written again after a crash or a lease move; nothing to do;
 * - the same source item (its source partition key, copied with it, is the inserted item's): a newer
 *   version of it (an online copy, or a source written to during an offline one); it is replaced;
 * - another source item: two source items with one id share the target key, and writing this one would
 *   destroy the other's copy. The copy fails, naming them (the preflight analysis looks for these before a
 *   copy starts; this catches what changed in the source since).
 * A target item whose source key cannot be read (a transform dropped those fields) counts as another item.
 */
export interface ConflictScope {
  target: Container;
  targetKey: PartitionKeyDefinition;
  sourceKey: PartitionKeyDefinition;
  writer: BulkWriter;
}

const readsInFlight = 8;
const collisionsNamed = 10;

interface Collision {
  write: InsertWrite;
  existing: Record<string, unknown>;
}

export async function resolveInsertConflicts(
  scope: ConflictScope,
  conflicts: readonly InsertWrite[],
  signal?: AbortSignal,
): Promise<WriteResult> {
  const replace: InsertWrite[] = [];
  const collisions: Collision[] = [];
  let requestCharge = 0;
  await forEachInFlight(conflicts, readsInFlight, async (write) => {
    const { document } = write;
    const read = await withRetries(() =>
      scope.target
        .item(String(document.id), partitionKeyOf(scope.targetKey, document))
        .read<Record<string, unknown>>({ abortSignal: signal }),
    );
    requestCharge += read.requestCharge;
    const existing = read.resource;
    // Deleted since the insert was refused: nothing of another item's left to lose.
    if (!existing) replace.push(write);
    else if (canonicalBody(existing) === canonicalBody(document)) return;
    else if (sameSourceItem(scope.sourceKey, existing, write)) replace.push(write);
    else collisions.push({ write, existing });
  });
  if (collisions.length > 0) throw collisionError(scope, collisions);
  const written = await scope.writer.writeAll(
    replace.map((write) => upsertOf(write.document)),
    signal,
  );
  return { ...written, requestCharge: written.requestCharge + requestCharge };
}

function sameSourceItem(
  sourceKey: PartitionKeyDefinition,
  existing: Record<string, unknown>,
  write: InsertWrite,
): boolean {
  return (
    JSON.stringify(extractPartitionKey(sourceKey, existing)) === JSON.stringify(write.sourcePartitionKey)
  );
}

function collisionError(scope: ConflictScope, collisions: Collision[]): CopyJobError {
  const named = collisions.slice(0, collisionsNamed).map(({ write, existing }) => {
    const targetKey = describeKey(extractPartitionKey(scope.targetKey, write.document));
    const theirs = describeKey(extractPartitionKey(scope.sourceKey, existing));
    return `'${String(write.document.id)}' under target key ${targetKey} (from source key ${describeKey(write.sourcePartitionKey)}; the target's item has source key ${theirs})`;
  });
  const left = collisions.length - named.length;
  return new CopyJobError(
    "IdCollision",
    `Source items collide in the target: ${collisions.length} item(s) would replace another source item's copy with the same id under the same target partition key: ${named.join(", ")}${left > 0 ? ` and ${left} more` : ""}. Nothing was overwritten.`,
    "The source changed since the preflight analysis, or the target held these items already. Choose a target partition key that keeps such items apart (a transform can derive one), or give them distinct ids; then delete this job and copy into an empty container.",
    { field: "destination" },
  );
}
