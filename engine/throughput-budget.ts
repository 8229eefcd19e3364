import type { Container } from "@azure/cosmos";
import { CopyJobError, serviceStatus } from "./errors";
import { withRetries } from "./retry";
import type { ContainerRef, CopyOptions, ThroughputLimit } from "./types";

/**
 * What a container may spend per second, read before the first request rather than probed: its own offer
 * (manual RU/s, or the autoscale maximum), else its database's shared offer; undefined where there is none
 * (a serverless account), and the pacer then probes.
 */
interface OfferContent {
  offerThroughput?: number;
  offerAutopilotSettings?: { maxThroughput?: number };
}

function throughputOf(content: OfferContent | undefined): number | undefined {
  return content?.offerAutopilotSettings?.maxThroughput ?? content?.offerThroughput;
}

async function offerThroughput(read: () => Promise<{ resource?: { content?: unknown } }>) {
  try {
    const { resource } = await withRetries(read);
    return throughputOf(resource?.content as OfferContent | undefined);
  } catch (error) {
    // Serverless accounts answer offer reads with 400 or 404: there is no offer to read.
    const code = serviceStatus(error)?.code;
    if (code === 400 || code === 404) return undefined;
    throw error;
  }
}

export async function provisionedThroughput(container: Container): Promise<number | undefined> {
  return (
    (await offerThroughput(() => container.readOffer())) ??
    (await offerThroughput(() => container.database.readOffer()))
  );
}

export function describeLimit(limit: ThroughputLimit): string {
  return "requestUnitsPerSecond" in limit
    ? `${limit.requestUnitsPerSecond} RU/s`
    : `${limit.percentOfProvisioned}% of provisioned throughput`;
}

/**
 * The RU/s a cap allows on a container with `provisioned` RU/s (undefined: no provisioned throughput). A
 * share of nothing cannot be paced, so it is refused before anything is copied.
 */
export function resolveLimit(
  limit: ThroughputLimit | undefined,
  provisioned: number | undefined,
  side: { field: string; container: ContainerRef },
): number | undefined {
  if (!limit) return undefined;
  if ("requestUnitsPerSecond" in limit) return limit.requestUnitsPerSecond;
  if (provisioned === undefined) {
    throw new CopyJobError(
      "InvalidJobSpec",
      `${side.field} ${describeLimit(limit)} cannot apply to ${side.container.database}/${side.container.container}: it has no provisioned throughput (serverless).`,
      `Give ${side.field} as { requestUnitsPerSecond } instead.`,
      { field: side.field },
    );
  }
  return (provisioned * limit.percentOfProvisioned) / 100;
}

/** The rate to pace at: the lower of what is provisioned and the cap; undefined when neither is known. */
export function ceilingOf(provisioned: number | undefined, cap: number | undefined): number | undefined {
  if (provisioned === undefined) return cap;
  return cap === undefined ? provisioned : Math.min(provisioned, cap);
}

/** What a job may spend on each side, read once before it starts (or before it is planned). */
export interface JobThroughput {
  /** The target's provisioned RU/s; undefined when it has none (serverless). */
  targetProvisioned?: number;
  sourceProvisioned?: number;
  /** What the writes may spend: the target's provisioned RU/s under the job's cap (undefined: neither). */
  writeCeiling?: number;
  /** The job's cap on the source in RU/s; undefined when it has none, and reads are not paced. */
  readCap?: number;
}

/**
 * `target` undefined: it does not exist yet (a plan made before the deployment that creates it), so its
 * rate is unknown, and so is a cap given as a share of it.
 */
export async function jobThroughput(
  job: { source: ContainerRef; destination?: ContainerRef; options: CopyOptions },
  source: Container,
  target: Container | undefined,
): Promise<JobThroughput> {
  const [targetProvisioned, sourceProvisioned] = await Promise.all([
    target && provisionedThroughput(target),
    provisionedThroughput(source),
  ]);
  const { targetThroughputLimit } = job.options;
  const writeCap =
    job.destination === undefined
      ? targetThroughputLimit && "requestUnitsPerSecond" in targetThroughputLimit
        ? targetThroughputLimit.requestUnitsPerSecond
        : undefined
      : resolveLimit(targetThroughputLimit, targetProvisioned, {
          field: "targetThroughputLimit",
          container: job.destination,
        });
  const readCap = resolveLimit(job.options.sourceThroughputLimit, sourceProvisioned, {
    field: "sourceThroughputLimit",
    container: job.source,
  });
  return {
    targetProvisioned,
    sourceProvisioned,
    writeCeiling: ceilingOf(targetProvisioned, writeCap),
    readCap,
  };
}
