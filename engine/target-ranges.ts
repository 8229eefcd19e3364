import type { Container } from "@azure/cosmos";
import {
  effectivePartitionKey,
  type PartitionKeyDefinition,
  type PartitionKeyValue,
} from "../partitioning/effective-partition-key";
import { withRetries } from "./retry";

/**
 * The target's physical partitions, to group each page's writes by the partition they land in. A bulk
 * call whose operations span every partition fans out into one small request per partition; grouped, each
 * call is one request of up to 100 operations, which is what lets an endpoint take writes at its ceiling.
 *
 * Grouping only decides how documents are batched, never where they go: the SDK routes every operation
 * itself, and regroups whatever it is sent after a split. So a map that has gone stale costs efficiency,
 * never correctness, and anything that cannot be hashed here (an unknown key kind) simply goes ungrouped.
 */
interface RangeBound {
  minInclusive: string;
  maxExclusive: string;
}

export class TargetRanges {
  private constructor(
    /** The target's partition key, as read with its ranges. */
    readonly definition: PartitionKeyDefinition | undefined,
    private readonly bounds: RangeBound[],
  ) {}

  static async load(container: Container): Promise<TargetRanges> {
    const [{ resource }, { resources }] = await Promise.all([
      withRetries(() => container.read()),
      withRetries(() => container.readPartitionKeyRanges().fetchAll()),
    ]);
    const bounds = resources
      .map(({ minInclusive, maxExclusive }) => ({ minInclusive, maxExclusive }))
      .sort((a, b) => (a.minInclusive < b.minInclusive ? -1 : 1));
    return new TargetRanges(resource?.partitionKey, bounds);
  }

  /**
   * The items split by the target partition each goes to (one group if that cannot be told); `keyOf` gives
   * an item's partition key values (`extractPartitionKey` for documents).
   */
  group<T>(items: T[], keyOf: (definition: PartitionKeyDefinition, item: T) => PartitionKeyValue[]): T[][] {
    if (!this.definition || this.bounds.length <= 1) return [items];
    const groups = new Map<number, T[]>();
    for (const item of items) {
      const index = this.rangeOf(() => keyOf(this.definition as PartitionKeyDefinition, item));
      const group = groups.get(index);
      if (group) group.push(item);
      else groups.set(index, [item]);
    }
    return [...groups.values()];
  }

  private rangeOf(key: () => PartitionKeyValue[]): number {
    let epk: string;
    try {
      epk = effectivePartitionKey(this.definition as PartitionKeyDefinition, key());
    } catch {
      return -1;
    }
    // Ranges tile "" to "FF" in order: the last one whose lower bound is at or below the EPK.
    let low = 0;
    let high = this.bounds.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.bounds[middle].minInclusive <= epk) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
