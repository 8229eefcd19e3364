import { ChangeFeedStartFrom, type Container, type PartitionKey } from "@azure/cosmos";
import { extractPartitionKey, type PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { FeedRangeReader, type ChangePage } from "./change-feed-reader";
import { BodyChecksum, canonicalBody } from "./documents";
import { transformAll, type ItemTransform } from "./item-transform";
import { withRetries } from "./retry";
import { forEachInFlight } from "./in-flight";
import type { ThroughputPacer } from "./throughput-pacer";
import type { JobMode, RangeRecord, Verification, VerificationMode } from "./types";

/**
 * The closing check of a copy. For an offline copy neither mode reads the source a second time: it is only counted (an
 * aggregate the endpoint answers from its index), which shows an insert or delete made during the copy.
 *
 * - "sampled": the target is counted too, and a sample of source items (the first of each feed range's
 *   change feed) is read from the target by id and partition key and compared body by body. It proves
 *   nothing was lost or added (counts equal) and that the sampled bodies arrived intact; it costs a few
 *   hundred point reads whatever the container's size.
 * - "full": the target is read once, through the change feed of every feed range in parallel, into a count
 *   and checksum compared with those of every body the copy read (kept per range with each checkpoint).
 *   It proves the target holds exactly those bodies, at the cost of reading the whole target.
 *
 * Neither can see an item changed in place in the source after the copy read it: stop writers first.
 *
 * An online copy applied the source's changes on top of what it read, so its check compares the target
 * with the source as it is at the end: "full" reads the source whole too (see `verifyCopy`).
 *
 * With a transform, the target is compared with the transformed source: the sample is transformed (items it
 * skips are not looked up), and the target is expected to hold the source's count less the items skipped.
 */
export const verificationSampleSize = 200;
const sampleReadsInFlight = 16;
/** What a point read of a small item costs, reserved against the job's cap before it is sent. */
const pointReadCharge = 1;

/** The container's item count, an aggregate answered without returning the items, and its cost. */
export async function measureCount(container: Container): Promise<{ count: number; requestCharge: number }> {
  const response = await withRetries(() =>
    container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll(),
  );
  return { count: response.resources[0] ?? 0, requestCharge: response.requestCharge };
}

export async function countItems(container: Container): Promise<number> {
  return (await measureCount(container)).count;
}

/** Reads a feed range's change feed from the beginning, page by page, under `pacer` if there is one. */
async function readFromBeginning(
  container: Container,
  range: Awaited<ReturnType<Container["getFeedRanges"]>>[number],
  pageSize: number,
  pacer: ThroughputPacer | undefined,
  onPage: (page: ChangePage) => "more" | "enough",
): Promise<void> {
  const reader = new FeedRangeReader(container, ChangeFeedStartFrom.Beginning(range), pageSize);
  for (;;) {
    const page = await (pacer ? pacer.spend(reader.expectedCharge, () => reader.next()) : reader.next());
    if (onPage(page) === "enough" || page.drained) return;
  }
}

/**
 * Every item of the container once, page by page, through each feed range's change feed (current versions)
 * at once, under `pacer` if there is one.
 */
export async function readWholeContainer(
  container: Container,
  pageSize: number,
  pacer: ThroughputPacer | undefined,
  onPage: (page: ChangePage) => void,
): Promise<void> {
  const ranges = await withRetries(() => container.getFeedRanges());
  await Promise.all(
    ranges.map((range) =>
      readFromBeginning(container, range, pageSize, pacer, (page) => {
        onPage(page);
        return "more";
      }),
    ),
  );
}

/**
 * The count and checksum of every item of the container; with a transform, of every item as the transform
 * makes it, and the count of those it skips.
 */
async function transformedChecksum(
  container: Container,
  pageSize: number,
  pacer: ThroughputPacer | undefined,
  transform: ItemTransform | undefined,
): Promise<{ checksum: BodyChecksum; skipped: number }> {
  const total = { checksum: new BodyChecksum(), skipped: 0 };
  await readWholeContainer(container, pageSize, pacer, ({ items }) => {
    const documents = transformAll(items, transform);
    for (const document of documents) total.checksum.add(document);
    total.skipped += items.length - documents.length;
  });
  return total;
}

/** The count and checksum of every item of the container. */
export async function containerChecksum(
  container: Container,
  pageSize: number,
  pacer?: ThroughputPacer,
): Promise<BodyChecksum> {
  return (await transformedChecksum(container, pageSize, pacer, undefined)).checksum;
}

/**
 * The first items of each of the source's feed ranges, `size` in all (fewer if the source is smaller), and
 * what reading them cost.
 */
export async function sampleOf(
  source: Container,
  size: number,
): Promise<{ items: Record<string, unknown>[]; requestCharge: number }> {
  const ranges = await withRetries(() => source.getFeedRanges());
  const perRange = Math.max(1, Math.ceil(size / ranges.length));
  const sample = { items: [] as Record<string, unknown>[], requestCharge: 0 };
  await Promise.all(
    ranges.map((range) =>
      readFromBeginning(source, range, perRange, undefined, ({ items, requestCharge }) => {
        sample.items.push(...items.slice(0, perRange));
        sample.requestCharge += requestCharge;
        return items.length > 0 ? "enough" : "more";
      }),
    ),
  );
  return sample;
}

export function partitionKeyOf(
  definition: PartitionKeyDefinition,
  item: Record<string, unknown>,
): PartitionKey {
  const values = extractPartitionKey(definition, item) as PartitionKey[];
  return (values.length === 1 ? values[0] : values) as PartitionKey;
}

/**
 * Ids of the sampled source items the target lacks or holds with another body: with a transform, the items
 * it writes, looked up by their own id and target key and compared with what it makes of them.
 */
async function sampleMismatches(
  source: Container,
  target: Container,
  targetPacer: ThroughputPacer | undefined,
  transform: ItemTransform | undefined,
): Promise<{ sampled: number; mismatches: string[] }> {
  const [read, { resource }] = await Promise.all([
    sampleOf(source, verificationSampleSize),
    withRetries(() => target.read()),
  ]);
  const sample = transformAll(read.items, transform);
  const definition = resource?.partitionKey as PartitionKeyDefinition;
  const mismatches: string[] = [];
  await forEachInFlight(sample, sampleReadsInFlight, async (item) => {
    const id = String(item.id);
    // A missing item is a 404 response, not an error.
    const readItem = () =>
      withRetries(() => target.item(id, partitionKeyOf(definition, item)).read<Record<string, unknown>>());
    const read = await (targetPacer ? targetPacer.spend(pointReadCharge, readItem) : readItem());
    if (!read.resource || canonicalBody(read.resource) !== canonicalBody(item)) mismatches.push(id);
  });
  return { sampled: sample.length, mismatches };
}

/** Both sides counted, and a sample of source items looked up in the target (at most 5 mismatches named). */
async function sampledCheck(
  source: Container,
  target: Container,
  targetPacer: ThroughputPacer | undefined,
  transform: ItemTransform | undefined,
) {
  const [sourceCount, targetCount, sample] = await Promise.all([
    countItems(source),
    countItems(target),
    sampleMismatches(source, target, targetPacer, transform),
  ]);
  return {
    sourceCount,
    targetCount,
    sampledItems: sample.sampled,
    sampleMismatches: sample.mismatches.slice(0, 5),
  };
}

/** The count and checksum of every body the copy read, from the ranges' checkpoints. */
function copiedChecksum(ranges: readonly RangeRecord[]): BodyChecksum {
  const copied = new BodyChecksum();
  for (const range of ranges) {
    const sum = BodyChecksum.from(range.checksum);
    sum.count = range.processedCount;
    copied.merge(sum);
  }
  return copied;
}

type VerificationFields = Omit<Verification, "mode" | "copiedCount" | "durationMs" | "verifiedAt">;

/** Stamps a check's findings with its mode, what the copy read, and how long it took. */
function finisher(mode: VerificationMode, copiedCount: number) {
  const started = performance.now();
  return (fields: VerificationFields): Verification => ({
    mode,
    ...fields,
    copiedCount,
    durationMs: Math.round(performance.now() - started),
    verifiedAt: new Date().toISOString(),
  });
}

/** What the target must hold: this many bodies (with this checksum, when known), and the source these plus `skipped`. */
interface Expected {
  written: number;
  skipped: number;
  checksum?: BodyChecksum;
}

/** What an offline copy wrote and skipped, from its checkpoints: the target must hold exactly that. */
function copiedExpectation(ranges: readonly RangeRecord[]): Required<Expected> {
  const checksum = copiedChecksum(ranges);
  const skipped = ranges.reduce((sum, range) => sum + (range.skippedCount ?? 0), 0);
  return { written: checksum.count, skipped, checksum };
}

/** The source as it is now, read whole through the transform: what an online copy's target must hold. */
async function sourceExpectation(
  source: Container,
  pageSize: number,
  transform: ItemTransform | undefined,
): Promise<Required<Expected>> {
  const { checksum, skipped } = await transformedChecksum(source, pageSize, undefined, transform);
  return { written: checksum.count, skipped, checksum };
}

/**
 * The closing check. What the target must equal depends on the job's mode: for an offline copy, the bodies
 * the copy wrote (kept with the checkpoints); for an online one, the source as it is now (through the
 * transform, if the job has one), since changes were applied on top of what the first pass read. "full"
 * reads the target whole (and, online, the source too) into counts and checksums; "sampled" compares counts
 * and a sample of bodies. An online check fails if writes to the source went on after `complete`.
 * `targetPacer` keeps the target's reads under the job's cap on what it spends there.
 */
export async function verifyCopy(
  mode: VerificationMode,
  source: Container,
  target: Container,
  ranges: readonly RangeRecord[],
  pageSize: number,
  targetPacer?: ThroughputPacer,
  jobMode: JobMode = "Offline",
  transform?: ItemTransform,
): Promise<Verification> {
  const copied = copiedExpectation(ranges);
  const finish = finisher(mode, copied.written);
  const counted = (sourceCount: number, targetCount: number, expected: Expected) => ({
    ...(transform ? { skippedCount: expected.skipped } : {}),
    countsMatch: sourceCount === expected.written + expected.skipped && targetCount === expected.written,
  });
  if (mode === "full") {
    const [expected, sourceCount, targetSum] = await Promise.all([
      jobMode === "Online" ? sourceExpectation(source, pageSize, transform) : copied,
      countItems(source),
      containerChecksum(target, pageSize, targetPacer),
    ]);
    const { countsMatch, ...skipped } = counted(sourceCount, targetSum.count, expected);
    return finish({
      sourceCount,
      targetCount: targetSum.count,
      ...skipped,
      sourceChecksum: expected.checksum.value,
      targetChecksum: targetSum.value,
      matched: countsMatch && targetSum.value === expected.checksum.value,
    });
  }
  // Online, the source's count is what the target must hold, unless a transform skips some of it: then only
  // reading the source through the transform tells how many it writes (a read of the whole source).
  const [sampled, expected] = await Promise.all([
    sampledCheck(source, target, targetPacer, transform),
    jobMode === "Offline" ? copied : transform ? sourceExpectation(source, pageSize, transform) : undefined,
  ]);
  const { countsMatch, ...skipped } = counted(
    sampled.sourceCount,
    sampled.targetCount,
    expected ?? { written: sampled.sourceCount, skipped: 0 },
  );
  return finish({
    ...sampled,
    ...skipped,
    matched: countsMatch && sampled.sampleMismatches.length === 0,
  });
}
