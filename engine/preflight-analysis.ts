import type { Container, ContainerDefinition } from "@azure/cosmos";
import { createHash } from "node:crypto";
import {
  extractPartitionKey,
  type PartitionKeyDefinition,
  type PartitionKeyValue,
} from "../partitioning/effective-partition-key";
import { containerDifferences } from "./container-differences";
import { formatBytes } from "./copy-plan";
import { CopyJobError } from "./errors";
import { targetDocument, type ItemTransform } from "./item-transform";
import type { PreflightSummary } from "./types";
import type { ThroughputPacer } from "./throughput-pacer";
import { measureCount, readWholeContainer } from "./verification";

/**
 * What a partition-key migration can break that the copy itself cannot fix, found by reading the source
 * once (paged through its change feed, under the job's cap on source reads) and the target's settings,
 * before anything is written. Blocking problems (`problems`) are the ones the service fails a copy for:
 * two items with one id under one new key, a logical partition past 20 GB, items breaking the target's
 * unique keys. Warnings are what the user must decide about: a target that holds items already, items
 * without a value for the new key, and settings the copy does not carry over (TTL, indexing, unique keys).
 *
 * Memory: per item a 128-bit digest of its new key and id with its source key's JSON (and a digest per
 * unique-key value), per logical partition of the target its size; never bodies.
 */

/** The service's limit on a logical partition's size (its storage, which the items' JSON approximates). */
export const defaultLogicalPartitionLimitBytes = 20 * 1024 ** 3;
/** How many of each kind of finding are named; the count says how many there are. */
const namedFindings = 10;
const largestPartitionsShown = 5;

export interface Findings<T> {
  count: number;
  /** The first `namedFindings` found. */
  sample: T[];
}

/** Source items that would share one id under one target partition key: the target keeps one of them. */
export interface IdCollision {
  id: string;
  targetPartitionKey: PartitionKeyValue[];
  /** The source partition keys of two of the items that collide. */
  sourcePartitionKeys: PartitionKeyValue[][];
}

export interface LogicalPartitionSize {
  partitionKey: PartitionKeyValue[];
  /** Bytes of the JSON of its items as they would be written. */
  bytes: number;
  items: number;
}

export interface UniqueKeyViolation {
  uniqueKey: string[];
  partitionKey: PartitionKeyValue[];
  /** Two items with the same values for the unique key in one logical partition of the target. */
  ids: [string, string];
}

export interface CopyAnalysis {
  itemsRead: number;
  /** Items the transform skips: they would not be written. */
  itemsSkipped: number;
  targetItemCount: number;
  collisions: Findings<IdCollision>;
  /** The target's largest logical partitions by the bytes the copy would put in them. */
  largestPartitions: LogicalPartitionSize[];
  logicalPartitionLimitBytes: number;
  oversizePartitions: Findings<LogicalPartitionSize>;
  uniqueKeyViolations: Findings<UniqueKeyViolation>;
  /** Ids of items with no value at (one of) the target's partition key paths. */
  withoutTargetKey: Findings<string>;
  /** What stops the copy: each a sentence naming what was found and the fix. */
  problems: string[];
  /** What the user should know or decide, shown where they look (plan, create, Pulumi preview). */
  warnings: string[];
  /** What reading the source and counting the target cost. */
  requestCharge: number;
  durationMs: number;
}

export interface AnalysisInput {
  source: Container;
  sourceDefinition: ContainerDefinition;
  target: Container;
  targetDefinition: ContainerDefinition;
  /** The job's transform, guarded (see `guardTransform`): a throw fails the analysis, naming the item. */
  transform?: ItemTransform;
  pageSize: number;
  /** Paces the source reads under the job's `sourceThroughputLimit`. */
  readPacer?: ThroughputPacer;
  logicalPartitionLimitBytes?: number;
}

function digest(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64").slice(0, 22);
}

function isAbsent(value: PartitionKeyValue): boolean {
  return typeof value === "object" && value !== null;
}

/** A partition key as people read it: one value bare, several as a list, an absent one as "(none)". */
export function describeKey(values: PartitionKeyValue[]): string {
  const shown = values.map((value) => (isAbsent(value) ? "(none)" : JSON.stringify(value)));
  return shown.length === 1 ? shown[0] : `[${shown.join(", ")}]`;
}

function more(findings: Findings<unknown>): string {
  const left = findings.count - findings.sample.length;
  return left > 0 ? ` and ${left} more` : "";
}

class FindingList<T> implements Findings<T> {
  count = 0;
  sample: T[] = [];
  add(finding: T): void {
    this.count++;
    if (this.sample.length < namedFindings) this.sample.push(finding);
  }
}

/** The running tallies of one pass over the source. */
class Tally {
  itemsRead = 0;
  itemsSkipped = 0;
  readonly collisions = new FindingList<IdCollision>();
  readonly uniqueKeyViolations = new FindingList<UniqueKeyViolation>();
  readonly withoutTargetKey = new FindingList<string>();
  /** Digest of (target key, id) → the source key of the first item seen with them. */
  private readonly placed = new Map<string, string>();
  private readonly collided = new Set<string>();
  /** Digest of (unique key, target key, values) → the id of the first item seen with them. */
  private readonly uniqueValues = new Map<string, string>();
  readonly partitions = new Map<string, LogicalPartitionSize>();

  constructor(
    private readonly sourceKey: PartitionKeyDefinition,
    private readonly targetKey: PartitionKeyDefinition,
    private readonly uniqueKeys: string[][],
    private readonly transform: ItemTransform | undefined,
  ) {}

  add(item: Record<string, unknown>): void {
    this.itemsRead++;
    const sourceKey = extractPartitionKey(this.sourceKey, item);
    // A transform that throws, or returns no item, fails the analysis naming the item (see guardTransform).
    const document = targetDocument(item, this.transform);
    if (document === undefined) {
      this.itemsSkipped++;
      return;
    }
    const id = String(document.id);
    const targetKey = extractPartitionKey(this.targetKey, document);
    if (!this.targetKey.systemKey && targetKey.some(isAbsent)) this.withoutTargetKey.add(id);
    this.place(id, sourceKey, targetKey);
    this.checkUniqueKeys(id, document, targetKey);
    const partition = digest(targetKey);
    const size = this.partitions.get(partition) ?? { partitionKey: targetKey, bytes: 0, items: 0 };
    size.bytes += Buffer.byteLength(JSON.stringify(document));
    size.items++;
    this.partitions.set(partition, size);
  }

  private place(id: string, sourceKey: PartitionKeyValue[], targetKey: PartitionKeyValue[]): void {
    const slot = digest(targetKey, id);
    const first = this.placed.get(slot);
    const mine = JSON.stringify(sourceKey);
    if (first === undefined) this.placed.set(slot, mine);
    else if (first !== mine && !this.collided.has(slot)) {
      this.collided.add(slot);
      this.collisions.add({
        id,
        targetPartitionKey: targetKey,
        sourcePartitionKeys: [JSON.parse(first) as PartitionKeyValue[], sourceKey],
      });
    }
  }

  private checkUniqueKeys(id: string, document: Record<string, unknown>, targetKey: PartitionKeyValue[]) {
    this.uniqueKeys.forEach((paths, index) => {
      const values = extractPartitionKey({ paths }, document);
      const slot = digest(index, targetKey, values);
      const first = this.uniqueValues.get(slot);
      if (first === undefined) this.uniqueValues.set(slot, id);
      else this.uniqueKeyViolations.add({ uniqueKey: paths, partitionKey: targetKey, ids: [first, id] });
    });
  }
}

export async function analyzeCopy(input: AnalysisInput): Promise<CopyAnalysis> {
  const started = performance.now();
  const limit = input.logicalPartitionLimitBytes ?? defaultLogicalPartitionLimitBytes;
  const targetKey = input.targetDefinition.partitionKey as PartitionKeyDefinition;
  const uniqueKeys = (input.targetDefinition.uniqueKeyPolicy?.uniqueKeys ?? []).map((key) => key.paths);
  const tally = new Tally(
    input.sourceDefinition.partitionKey as PartitionKeyDefinition,
    targetKey,
    uniqueKeys,
    input.transform,
  );
  let requestCharge = 0;
  const [, target] = await Promise.all([
    readWholeContainer(input.source, input.pageSize, input.readPacer, (page) => {
      requestCharge += page.requestCharge;
      for (const item of page.items) tally.add(item);
    }),
    measureCount(input.target),
  ]);
  requestCharge += target.requestCharge;
  const sizes = [...tally.partitions.values()].sort((a, b) => b.bytes - a.bytes);
  const oversize = new FindingList<LogicalPartitionSize>();
  for (const size of sizes) if (size.bytes > limit) oversize.add(size);
  const analysis: CopyAnalysis = {
    itemsRead: tally.itemsRead,
    itemsSkipped: tally.itemsSkipped,
    targetItemCount: target.count,
    collisions: tally.collisions,
    largestPartitions: sizes.slice(0, largestPartitionsShown),
    logicalPartitionLimitBytes: limit,
    oversizePartitions: oversize,
    uniqueKeyViolations: tally.uniqueKeyViolations,
    withoutTargetKey: tally.withoutTargetKey,
    problems: [],
    warnings: [],
    requestCharge: Math.round(requestCharge * 100) / 100,
    durationMs: Math.round(performance.now() - started),
  };
  analysis.problems = problemsOf(analysis, targetKey);
  analysis.warnings = [
    ...warningsOf(analysis, targetKey),
    ...containerDifferences(input.sourceDefinition, input.targetDefinition),
  ];
  return analysis;
}

function problemsOf(analysis: CopyAnalysis, targetKey: PartitionKeyDefinition): string[] {
  const keyPaths = targetKey.paths.join(", ");
  const problems: string[] = [];
  const { collisions, oversizePartitions, uniqueKeyViolations } = analysis;
  if (collisions.count > 0) {
    const named = collisions.sample.map(
      (collision) =>
        `'${collision.id}' (source keys ${collision.sourcePartitionKeys.map(describeKey).join(" and ")} → target key ${describeKey(collision.targetPartitionKey)})`,
    );
    problems.push(
      `${collisions.count} id(s) would collide under the target's partition key ${keyPaths}: ${named.join(", ")}${more(collisions)}. Items with one id under one partition key are one item, so the copy would lose all but one of each. Choose a target partition key that keeps them apart (a transform can derive one, e.g. from the old key and the new), or give the items distinct ids in the source first.`,
    );
  }
  if (oversizePartitions.count > 0) {
    const named = oversizePartitions.sample.map(
      (size) => `${describeKey(size.partitionKey)} (${formatBytes(size.bytes)}, ${size.items} items)`,
    );
    problems.push(
      `${oversizePartitions.count} logical partition(s) of the target would exceed the ${formatBytes(analysis.logicalPartitionLimitBytes)} limit under ${keyPaths}: ${named.join(", ")}${more(oversizePartitions)}. The service refuses writes past it (403). Choose a partition key with more distinct values, e.g. a synthetic key derived by a transform.`,
    );
  }
  if (uniqueKeyViolations.count > 0) {
    const named = uniqueKeyViolations.sample.map(
      (violation) =>
        `'${violation.ids[0]}' and '${violation.ids[1]}' share (${violation.uniqueKey.join(", ")}) under key ${describeKey(violation.partitionKey)}`,
    );
    problems.push(
      `${uniqueKeyViolations.count} item(s) break the target's unique keys: ${named.join("; ")}${more(uniqueKeyViolations)}. The target would refuse them (409). Make the values unique in the source, or create the target without that unique key.`,
    );
  }
  return problems;
}

function warningsOf(analysis: CopyAnalysis, targetKey: PartitionKeyDefinition): string[] {
  const warnings: string[] = [];
  const { withoutTargetKey, targetItemCount } = analysis;
  if (withoutTargetKey.count > 0) {
    warnings.push(
      `${withoutTargetKey.count} item(s) have no value at the target's partition key path ${targetKey.paths.join(", ")} (ids ${withoutTargetKey.sample.map((id) => `'${id}'`).join(", ")}${more(withoutTargetKey)}): they all land in one logical partition. Check the path's spelling and case, or derive the key with a transform.`,
    );
  }
  if (targetItemCount > 0) {
    warnings.push(
      `The target already holds ${targetItemCount} item(s): a source item with the same id and partition key replaces its copy there, and items the source does not have make the closing check fail. Copy into an empty container unless you are resuming into this one.`,
    );
  }
  return warnings;
}

/** The analysis's blocking problems as one error (undefined when there are none). */
export function analysisRefusal(analysis: CopyAnalysis): CopyJobError | undefined {
  if (analysis.problems.length === 0) return undefined;
  const code =
    analysis.collisions.count > 0
      ? "IdCollision"
      : analysis.oversizePartitions.count > 0
        ? "LogicalPartitionTooLarge"
        : "UniqueKeyViolation";
  return new CopyJobError(
    code,
    `Preflight analysis found ${analysis.problems.length === 1 ? "a problem" : "problems"} that would break the copy; nothing was copied. ${analysis.problems.join(" ")}`,
    undefined,
    { field: "destination" },
  );
}

/** What a job keeps of its analysis. */
export function summaryOf(analysis: CopyAnalysis, analyzedAt: string): PreflightSummary {
  const { itemsRead, itemsSkipped, warnings, requestCharge } = analysis;
  return { itemsRead, itemsSkipped, warnings, requestCharge, analyzedAt };
}
