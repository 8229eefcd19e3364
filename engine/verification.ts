import type { Container } from "@azure/cosmos";
import { BodyChecksum } from "./documents";
import { withRetries } from "./retry";
import type { Verification } from "./types";

/** Reads every item of a container once (all partitions, in pages) into a checksum. */
async function checksumOf(container: Container, pageSize: number): Promise<BodyChecksum> {
  const checksum = new BodyChecksum();
  const iterator = container.items.query<Record<string, unknown>>("SELECT * FROM c", {
    maxItemCount: pageSize,
  });
  while (iterator.hasMoreResults()) {
    const page = await withRetries(() => iterator.fetchNext());
    for (const item of page.resources) checksum.add(item);
  }
  return checksum;
}

/**
 * The offline copy's closing check: both containers counted and checksummed. Items changed in the source
 * after the job started may or may not have been captured (as with the service), so a copy whose source
 * kept taking writes can fail here; that is the point.
 */
export async function verifyCopy(
  source: Container,
  target: Container,
  pageSize: number,
): Promise<Verification> {
  const [sourceSum, targetSum] = await Promise.all([
    checksumOf(source, pageSize),
    checksumOf(target, pageSize),
  ]);
  return {
    sourceCount: sourceSum.count,
    targetCount: targetSum.count,
    sourceChecksum: sourceSum.value,
    targetChecksum: targetSum.value,
    matched: sourceSum.count === targetSum.count && sourceSum.value === targetSum.value,
    verifiedAt: new Date().toISOString(),
  };
}
