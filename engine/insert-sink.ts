import { extractPartitionKey } from "../partitioning/effective-partition-key";
import type { InsertWrite } from "./bulk-writer";
import type { PageSink, PreparedPage, SourcePage } from "./copy-backend";
import { resolveInsertConflicts, type ConflictScope } from "./insert-conflicts";
import { targetDocument, type ItemTransform } from "./item-transform";

/**
 * The NoSQL write side of a first pass: each item without its system properties and through the job's
 * transform (an item it skips is left out), inserted in bulk with its source key beside it, so an insert
 * the target refuses is resolved as a replay, a newer version or a collision (see insert-conflicts.ts).
 */
export class InsertSink implements PageSink {
  constructor(
    private readonly scope: ConflictScope,
    private readonly transform: ItemTransform | undefined,
  ) {}

  prepare(page: SourcePage): PreparedPage {
    const inserts = page.items.flatMap((item): InsertWrite[] => {
      const document = targetDocument(item, this.transform);
      if (!document) return [];
      return [
        { kind: "insert", document, sourcePartitionKey: extractPartitionKey(this.scope.sourceKey, item) },
      ];
    });
    return {
      bodies: inserts.map((insert) => insert.document),
      write: async (signal) => {
        const written = await this.scope.writer.writeAll(inserts, signal);
        if (written.conflicts.length === 0) {
          return { requestCharge: written.requestCharge, throttled: written.throttledOperations };
        }
        const resolved = await resolveInsertConflicts(this.scope, written.conflicts, signal);
        return {
          requestCharge: written.requestCharge + resolved.requestCharge,
          throttled: written.throttledOperations + resolved.throttledOperations,
        };
      },
    };
  }
}
