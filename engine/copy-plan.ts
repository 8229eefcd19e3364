import type { CosmosClient } from "@azure/cosmos";
import type { CopyAnalysis } from "./preflight-analysis";
import { measureSource, type SourceMeasurement } from "./source-measurement";
import { ceilingOf, jobThroughput } from "./throughput-budget";
import type { ContainerRef, CopyOptions, JobSpec, VerificationMode } from "./types";
import { verificationSampleSize } from "./verification";

/**
 * A copy's plan: what `create` would copy and roughly what the copy would spend, from reads of the source and
 * of both containers' offers, never a write. Counts and throughputs are measured; RU and time are estimates.
 */
export interface CopyPlan {
  name: string;
  source: ContainerRef;
  /** Undefined: the target does not exist yet (it is created by the same deployment as the job). */
  destination?: ContainerRef;
  verificationMode: VerificationMode;
  /** Exact, by the same count the job starts with. */
  sourceItemCount: number;
  /** Bytes of the source's items (see `sizeFrom`). */
  sourceSizeBytes: number;
  /** "quota": the service's figure for the container; "sample": the sampled bodies' mean size × count. */
  sizeFrom: "quota" | "sample";
  /** Items read from the start of the source's feed ranges to measure sizes and charges. */
  sampledItems: number;
  /** The target's provisioned RU/s (its own offer, else its database's); undefined when it has none. */
  targetRequestUnitsPerSecond?: number;
  /** The RU/s the copy's writes may spend: the provisioned RU/s under the job's `targetThroughputLimit`. */
  effectiveRequestUnitsPerSecond?: number;
  /** The RU/s the copy's reads may spend: the source's provisioned RU/s under `sourceThroughputLimit`. */
  sourceRequestUnitsPerSecond?: number;
  /** Estimate: upserting every item into the target. */
  estimatedWriteRequestUnits: number;
  /** Estimate: reading every item through the source's change feed, and the count the job starts with. */
  estimatedReadRequestUnits: number;
  /** Estimate: the closing verification in the job's mode. */
  estimatedVerificationRequestUnits: number;
  estimatedRequestUnits: number;
  /** Estimate bound by throughput alone; undefined when the target's rate is unknown (serverless, no cap). */
  estimatedSeconds?: number;
  /**
   * Set when the target does not exist yet and the job has no cap in RU/s: its rate cannot be read, so
   * `estimatedSeconds` assumes this many RU/s (more take proportionally less time).
   */
  assumedRequestUnitsPerSecond?: number;
  /** What the plan's own data-plane reads cost (in the source; metadata reads are not billed to it). */
  planRequestCharge: number;
  /** The preflight analysis (a full read of the source); absent while the target does not exist yet. */
  analysis?: CopyAnalysis;
}

/**
 * Writes cannot be measured without writing, so they are scaled from the measured point reads of the same
 * items. The service's published request-unit examples (Azure Cosmos DB docs, "Estimating throughput needs":
 * Session consistency, indexing policy None) price a point read at 1 / 1.3 / 10 RU and a write at 5 / 7 /
 * 48 RU for 1 / 4 / 64 KB items: a write costs about five point reads of the same item at every size, so
 * five times what this endpoint charges to read the items prices their size the way it does. Indexing adds
 * to a write by the number of indexed properties: the same docs show a 1 KB item of about 25 properties,
 * all indexed (the default policy), written for ~15 RU. On such a target expect more than the estimate.
 */
const writeChargePerPointRead = 5;

/**
 * The estimates, from what was measured. Time: the copy phase takes as long as its slower side (writes at
 * the target's rate, reads at the source's), then verification reads at the target's rate (the job keeps
 * its closing reads under the same cap). A rate left unknown bounds nothing: without a target rate there
 * is no time estimate at all. It is a floor set by throughput: a worker that cannot keep up takes longer.
 */
export function estimatePlan(
  measured: SourceMeasurement,
  rates: Pick<CopyPlan, "effectiveRequestUnitsPerSecond" | "sourceRequestUnitsPerSecond">,
  mode: VerificationMode,
): Pick<
  CopyPlan,
  | "estimatedWriteRequestUnits"
  | "estimatedReadRequestUnits"
  | "estimatedVerificationRequestUnits"
  | "estimatedRequestUnits"
  | "estimatedSeconds"
> {
  const items = measured.itemCount;
  const writes = items * writeChargePerPointRead * measured.pointReadCharge;
  const feedReads = items * measured.feedChargePerItem;
  const reads = feedReads + measured.countCharge;
  // "full" counts the source and reads the whole target through its change feed; "sampled" counts both
  // sides, reads its sample from the source's change feed and point-reads those items in the target.
  const verification =
    mode === "full"
      ? measured.countCharge + feedReads
      : 2 * measured.countCharge +
        Math.min(verificationSampleSize, items) * (measured.feedChargePerItem + measured.pointReadCharge);
  const { effectiveRequestUnitsPerSecond: writeCeiling, sourceRequestUnitsPerSecond: readRate } = rates;
  const seconds =
    writeCeiling === undefined
      ? undefined
      : Math.max(writes / writeCeiling, readRate === undefined ? 0 : reads / readRate) +
        verification / writeCeiling;
  // Each part is rounded once and the total is their sum, so the figures people read add up.
  const [writeUnits, readUnits, verificationUnits] = [writes, reads, verification].map(Math.round);
  return {
    estimatedWriteRequestUnits: writeUnits,
    estimatedReadRequestUnits: readUnits,
    estimatedVerificationRequestUnits: verificationUnits,
    estimatedRequestUnits: writeUnits + readUnits + verificationUnits,
    estimatedSeconds: seconds === undefined ? undefined : Math.round(seconds * 10) / 10,
  };
}

/** The rate a plan's time assumes for a target that does not exist yet (a round figure to scale from). */
const assumedTargetRate = 1000;

/**
 * Measures and estimates a copy of a spec that `preflight` has passed, or, without a destination, one whose
 * target does not exist yet (see `CopyPlan.assumedRequestUnitsPerSecond`). The clients are the source's
 * account's and the target's: one and the same unless the copy is cross-account.
 */
export async function planCopy(
  sourceClient: CosmosClient,
  targetClient: CosmosClient,
  spec: Omit<JobSpec, "destination"> & { destination?: ContainerRef; options: CopyOptions },
): Promise<CopyPlan> {
  const container = (client: CosmosClient, ref: ContainerRef) =>
    client.database(ref.database).container(ref.container);
  const source = container(sourceClient, spec.source);
  const [measured, throughput] = await Promise.all([
    measureSource(source),
    jobThroughput(spec, source, spec.destination && container(targetClient, spec.destination)),
  ]);
  const assumed =
    spec.destination === undefined && throughput.writeCeiling === undefined ? assumedTargetRate : undefined;
  const rates = {
    targetRequestUnitsPerSecond: throughput.targetProvisioned,
    effectiveRequestUnitsPerSecond: throughput.writeCeiling ?? assumed,
    // Unpaced without a cap, the reads still cannot outrun what the source has.
    sourceRequestUnitsPerSecond: ceilingOf(throughput.sourceProvisioned, throughput.readCap),
  };
  return {
    name: spec.name,
    source: spec.source,
    destination: spec.destination,
    verificationMode: spec.options.verificationMode,
    sourceItemCount: measured.itemCount,
    sourceSizeBytes: measured.sizeBytes,
    sizeFrom: measured.sizeFrom,
    sampledItems: measured.sampledItems,
    ...rates,
    ...estimatePlan(measured, rates, spec.options.verificationMode),
    ...(assumed === undefined ? {} : { assumedRequestUnitsPerSecond: assumed }),
    planRequestCharge: Math.round(measured.requestCharge * 100) / 100,
  };
}

const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** A size as people read it: 392.6 KB. */
export function formatBytes(value: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${oneDecimal.format(value)} ${units[unit]}`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${oneDecimal.format(seconds)} s`;
  if (seconds < 90 * 60) return `${oneDecimal.format(seconds / 60)} min`;
  return `${oneDecimal.format(seconds / 3600)} h`;
}

/** Why there is no time estimate, or the estimate with the rate it assumes. */
function timeOf(plan: CopyPlan): string {
  if (plan.assumedRequestUnitsPerSecond !== undefined && plan.estimatedSeconds !== undefined) {
    return `~${duration(plan.estimatedSeconds)} at ${count.format(plan.assumedRequestUnitsPerSecond)} RU/s, less with more (estimate; the target's throughput is read once it exists)`;
  }
  if (plan.estimatedSeconds === undefined) {
    return "time not estimated: the target has no provisioned throughput (serverless) and the job no targetThroughputLimit";
  }
  return `~${duration(plan.estimatedSeconds)} at ${count.format(plan.effectiveRequestUnitsPerSecond ?? 0)} RU/s (estimate)`;
}

/**
 * One line for people, e.g. `orders-v2: shop/orders → shop/orders-v2, 2,000 items, ~392.6 KB (from a sample
 * of 50 items); ~11,353 RU (estimate); ~10.3 s at 1,000 RU/s (estimate); plan cost 79 RU; preflight
 * analysis: 2,000 items read, 412 RU, 1 warning`.
 */
export function describePlan(plan: CopyPlan): string {
  const where = (ref: ContainerRef) => `${ref.database}/${ref.container}`;
  const size =
    plan.sizeFrom === "quota"
      ? `${formatBytes(plan.sourceSizeBytes)} (the service's figure)`
      : `~${formatBytes(plan.sourceSizeBytes)} (from a sample of ${count.format(plan.sampledItems)} items)`;
  return (
    `${plan.name}: ${where(plan.source)} → ${plan.destination ? where(plan.destination) : "a target this deployment creates"}, ` +
    `${count.format(plan.sourceItemCount)} items, ${size}; ` +
    `~${count.format(plan.estimatedRequestUnits)} RU (estimate); ${timeOf(plan)}; ` +
    `plan cost ${count.format(Math.ceil(plan.planRequestCharge))} RU` +
    (plan.analysis ? `; ${describeAnalysis(plan.analysis)}` : "")
  );
}

function describeAnalysis(analysis: CopyAnalysis): string {
  const skipped =
    analysis.itemsSkipped > 0 ? ` (${count.format(analysis.itemsSkipped)} skipped by the transform)` : "";
  const warnings = analysis.warnings.length;
  return (
    `preflight analysis: ${count.format(analysis.itemsRead)} items read${skipped}, ` +
    `${count.format(Math.ceil(analysis.requestCharge))} RU` +
    (warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : "")
  );
}
