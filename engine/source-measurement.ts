import type { Container } from "@azure/cosmos";
import type { PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { withoutSystemProperties } from "./documents";
import { withRetries } from "./retry";
import { forEachInFlight } from "./in-flight";
import { measureCount, partitionKeyOf, sampleOf } from "./verification";

/**
 * What a plan learns about a source by reading it, never writing: its exact item count, its size, and what
 * the endpoint charges to read its items, through the change feed (as the copy reads them) and by point
 * reads (what the write estimate is scaled from, see copy-plan.ts). Its cost is bounded whatever the
 * source's size, apart from the count, which the copy runs too: one container read, the first page of each
 * feed range (`planSampleSize` items in all) and as many point reads.
 */
export const planSampleSize = 50;
const pointReadsInFlight = 8;
const usageHeader = "x-ms-resource-usage";

export interface SourceMeasurement {
  itemCount: number;
  countCharge: number;
  sizeBytes: number;
  /** "quota": the service's own figure for the container; "sample": the sample's mean body × the count. */
  sizeFrom: "quota" | "sample";
  sampledItems: number;
  /**
   * Mean RU per item of reading the sample through the change feed. Sample pages are small (one per feed
   * range), so each page's fixed charge is spread over fewer items than in the copy's pages: it leans high,
   * the more so the more feed ranges the source has.
   */
  feedChargePerItem: number;
  /** Mean RU of a point read of a sampled item. */
  pointReadCharge: number;
  /**
   * What the data-plane requests (count, change feed, point reads) cost. The container read is metadata,
   * served from the account's system budget, not the container's throughput, and is not counted.
   */
  requestCharge: number;
}

/**
 * Bytes of `documentsSize` (reported in KB) in the usage header a container read answers when asked for
 * quota info, e.g. `functions=0;documentsSize=2048;documentsCount=1000;collectionSize=2304`. Undefined when
 * the endpoint leaves it out (cosmos-emulator does) or reports 0: the service refreshes these figures
 * periodically, so a container filled moments ago can still show 0.
 */
export function documentsSizeBytes(usage: string | undefined): number | undefined {
  const kilobytes = Number(/(?:^|;)documentsSize=(\d+)/.exec(usage ?? "")?.[1] ?? 0);
  return kilobytes > 0 ? kilobytes * 1024 : undefined;
}

/** The body the copy would write, in bytes of JSON. */
function bodyBytes(item: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(withoutSystemProperties(item)));
}

/** The charges of point reads of `items`, a few in flight at once; items deleted meanwhile are left out. */
async function pointReadCharges(
  source: Container,
  definition: PartitionKeyDefinition,
  items: Record<string, unknown>[],
): Promise<{ found: number[]; requestCharge: number }> {
  const found: number[] = [];
  let requestCharge = 0;
  await forEachInFlight(items, pointReadsInFlight, async (item) => {
    // A missing item is a 404 response, not an error.
    const response = await withRetries(() =>
      source.item(String(item.id), partitionKeyOf(definition, item)).read(),
    );
    requestCharge += response.requestCharge;
    if (response.resource) found.push(response.requestCharge);
  });
  return { found, requestCharge };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export async function measureSource(source: Container): Promise<SourceMeasurement> {
  const [count, read, sample] = await Promise.all([
    measureCount(source),
    withRetries(() => source.read({ populateQuotaInfo: true })),
    sampleOf(source, planSampleSize),
  ]);
  const definition = read.resource?.partitionKey as PartitionKeyDefinition;
  const pointReads = await pointReadCharges(source, definition, sample.items);
  const quotaBytes = documentsSizeBytes(read.headers[usageHeader] as string | undefined);
  return {
    itemCount: count.count,
    countCharge: count.requestCharge,
    sizeBytes: quotaBytes ?? Math.round(mean(sample.items.map(bodyBytes)) * count.count),
    sizeFrom: quotaBytes === undefined ? "sample" : "quota",
    sampledItems: sample.items.length,
    feedChargePerItem: sample.items.length === 0 ? 0 : sample.requestCharge / sample.items.length,
    pointReadCharge: mean(pointReads.found),
    requestCharge: count.requestCharge + sample.requestCharge + pointReads.requestCharge,
  };
}
