import type { Container } from "@azure/cosmos";
import { extractPartitionKey, type PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { bodyHash, withoutSystemProperties } from "./documents";
import type { ItemTransform } from "./item-transform";
import type { ThroughputPacer } from "./throughput-pacer";
import type { DifferenceCount, Differences, ItemKey } from "./types";
import { readWholeContainer } from "./verification";

/**
 * What differs between a target and the source as the target should hold it, after a closing check that
 * did not match: the check only knows that counts or checksums differ, this names the items. Both sides are
 * read whole through their change feeds, at once; per item only its key (the target's partition key value
 * and id) and a 64-bit hash of its body are kept, never the body, so memory grows with the item count only.
 */
export const differenceSampleSize = 10;

export interface DiagnosisInput {
  source: Container;
  target: Container;
  /** The target's partition key: the source items are keyed by it, as the copy writes them. */
  targetKey: PartitionKeyDefinition;
  pageSize: number;
  /** What the job may spend on reads in each container. */
  sourcePacer?: ThroughputPacer;
  targetPacer?: ThroughputPacer;
  /** The job's transform: the target should hold each source item as it returns it (none if undefined). */
  transform?: ItemTransform;
}

/** A key as one string: the target's partition key values and the id, as JSON. */
function keyOf(definition: PartitionKeyDefinition, item: Record<string, unknown>): string {
  return JSON.stringify([extractPartitionKey(definition, item), String(item.id)]);
}

/** The key's id and partition key as a reader would pass them to a point read (one value unless hierarchical). */
function itemKeyOf(key: string): ItemKey {
  const [values, id] = JSON.parse(key) as [unknown[], string];
  return { id, partitionKey: values.length === 1 ? values[0] : values };
}

/** Counts keys of one kind and keeps the first few. */
class Tally {
  private count = 0;
  private readonly keys: string[] = [];

  add(key: string): void {
    this.count += 1;
    if (this.keys.length < differenceSampleSize) this.keys.push(key);
  }

  get result(): DifferenceCount {
    return { count: this.count, sample: this.keys.map(itemKeyOf) };
  }
}

/** The source as the target should hold it: body hashes by target key, and the keys several items share. */
async function expectedTarget(input: DiagnosisInput, charge: (requestUnits: number) => void) {
  const hashes = new Map<string, bigint>();
  // Only for keys that several source items become: any of their bodies may have been written last.
  const collided = new Map<string, Set<bigint>>();
  await readWholeContainer(input.source, input.pageSize, input.sourcePacer, ({ items, requestCharge }) => {
    charge(requestCharge);
    for (const read of items) {
      const item = input.transform
        ? input.transform(withoutSystemProperties(read))
        : withoutSystemProperties(read);
      if (item === undefined) continue;
      const key = keyOf(input.targetKey, item);
      const hash = bodyHash(item);
      const earlier = hashes.get(key);
      if (earlier === undefined) hashes.set(key, hash);
      else collided.set(key, (collided.get(key) ?? new Set([earlier])).add(hash));
    }
  });
  return { hashes, collided };
}

/** The target's body hashes by key. */
async function actualTarget(input: DiagnosisInput, charge: (requestUnits: number) => void) {
  const hashes = new Map<string, bigint>();
  await readWholeContainer(input.target, input.pageSize, input.targetPacer, ({ items, requestCharge }) => {
    charge(requestCharge);
    for (const item of items) hashes.set(keyOf(input.targetKey, item), bodyHash(item));
  });
  return hashes;
}

/**
 * Items the target lacks, holds without a source item for them, or holds with another body, and the keys
 * several source items collapse onto (a key's body matching any of theirs is not counted as changed).
 */
export async function diagnoseMismatch(input: DiagnosisInput): Promise<Differences> {
  let requestCharge = 0;
  const charge = (requestUnits: number) => {
    requestCharge += requestUnits;
  };
  const [expected, actual] = await Promise.all([expectedTarget(input, charge), actualTarget(input, charge)]);
  const [missing, extra, changed, collisions] = [new Tally(), new Tally(), new Tally(), new Tally()];
  for (const [key, hash] of actual) {
    const wanted = expected.hashes.get(key);
    if (wanted === undefined) extra.add(key);
    else if (hash !== wanted && !expected.collided.get(key)?.has(hash)) changed.add(key);
  }
  for (const key of expected.hashes.keys()) if (!actual.has(key)) missing.add(key);
  for (const key of expected.collided.keys()) collisions.add(key);
  return {
    missing: missing.result,
    extra: extra.result,
    changed: changed.result,
    collisions: collisions.result,
    requestCharge: Math.round(requestCharge * 100) / 100,
  };
}
