import { errors } from "../errors";
import { epkRangeMidpoint, epkRangeWidth } from "../../partitioning/effective-partition-key";
import type { ContainerRecord, PartitionRecord } from "../store/store";
import type { EmulatorContext } from "./context";

/**
 * Partition splits as the service does them: a physical partition's EPK range is halved at its midpoint
 * into two children with fresh, higher range ids that list it (and its own parents) as `parents`. Items
 * keep their LSNs and move to the child that owns their EPK, and so do the versions in the all-versions log;
 * each child's LSN sequence (and the LSN its log starts after) continues from the parent's, so a change-feed
 * continuation taken on the parent means "after LSN x" on both children.
 */
export interface SplitResult {
  parent: string;
  children: { id: string; minInclusive: string; maxExclusive: string }[];
}

/** The service gives each physical partition up to 10,000 RU/s, and splits to keep it so. */
export const throughputPerPartition = 10_000;

/** Physical partitions a container with `throughput` RU/s needs. */
export function partitionsFor(throughput: number): number {
  return Math.max(1, Math.ceil(throughput / throughputPerPartition));
}

/**
 * A new container starts with more headroom than a split leaves: the service creates one physical partition
 * per 6,000 RU/s it is provisioned with (30,000 RU/s gives five), so it can later scale up without a split.
 */
const throughputPerNewPartition = 6_000;

/** Physical partitions the service creates a container with, given `throughput` RU/s. */
export function partitionsAtCreation(throughput: number): number {
  return Math.max(1, Math.ceil(throughput / throughputPerNewPartition));
}

function width(container: ContainerRecord, partition: PartitionRecord): bigint {
  return epkRangeWidth(container.definition.partitionKey, partition.minInclusive, partition.maxExclusive);
}

/** The widest range, the first by EPK among equals: the one a throughput increase splits next. */
function widest(container: ContainerRecord, partitions: PartitionRecord[]): PartitionRecord {
  return partitions.reduce((best, p) => {
    const difference = width(container, p) - width(container, best);
    return difference > 0n || (difference === 0n && p.minInclusive < best.minInclusive) ? p : best;
  });
}

/** Splits one range of the container: the one named, or the widest. */
export function splitPartition(
  ctx: EmulatorContext,
  container: ContainerRecord,
  rangeId?: string,
): SplitResult {
  const partitions = ctx.store.listPartitions(container.rid);
  const parent =
    rangeId === undefined
      ? widest(container, partitions)
      : partitions.find((p) => String(p.index) === rangeId);
  if (!parent) {
    throw errors.notFound();
  }
  const midpoint = epkRangeMidpoint(
    container.definition.partitionKey,
    parent.minInclusive,
    parent.maxExclusive,
  );
  if (midpoint === undefined) {
    throw errors.badRequest(`Partition key range '${parent.index}' is too narrow to split.`);
  }
  // Children always get ids above every live range, so the highest live id is the highest ever given:
  // ids are never reused.
  const firstId = Math.max(...partitions.map((p) => p.index)) + 1;
  const child = (index: number, minInclusive: string, maxExclusive: string): PartitionRecord => ({
    index,
    minInclusive,
    maxExclusive,
    lsn: parent.lsn,
    parents: [...parent.parents, parent.index],
    retainedAfter: parent.retainedAfter,
  });
  const children = [
    child(firstId, parent.minInclusive, midpoint),
    child(firstId + 1, midpoint, parent.maxExclusive),
  ];
  ctx.store.splitPartition(container.rid, parent.index, children);
  return {
    parent: String(parent.index),
    children: children.map((c) => ({
      id: String(c.index),
      minInclusive: c.minInclusive,
      maxExclusive: c.maxExclusive,
    })),
  };
}

/** Splits the widest ranges until the container has the partitions `throughput` RU/s needs. */
export function splitForThroughput(
  ctx: EmulatorContext,
  container: ContainerRecord,
  throughput: number,
): void {
  const wanted = partitionsFor(throughput);
  for (let count = ctx.store.listPartitions(container.rid).length; count < wanted; count++) {
    splitPartition(ctx, container, undefined);
  }
}
