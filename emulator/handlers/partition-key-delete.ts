import { errors } from "../errors";
import { header, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { ContainerRecord } from "../store/store";
import type { EmulatorContext } from "./context";
import { canonicalPartitionKey, deleteItem } from "./item-operations";

/**
 * `POST …/colls/{c}/operations/partitionkeydelete` (the SDK's `container.deleteAllItemsForPartitionKey`):
 * deletes every item of the logical partition the `x-ms-documentdb-partitionkey` header names. The service
 * does it in the background; here it is done before the answer, in one transaction, each item deleted as a
 * single delete would be (so a container with an all-versions log records every one).
 */
function logicalPartition(container: ContainerRecord, request: CosmosRequest): string {
  const value = header(request, "x-ms-documentdb-partitionkey");
  if (value === undefined) {
    throw errors.badRequest(
      "Deleting the items of a partition key needs the x-ms-documentdb-partitionkey header naming it.",
    );
  }
  const partitionKey = canonicalPartitionKey(value);
  const { paths, systemKey } = container.definition.partitionKey;
  const components = (JSON.parse(partitionKey) as unknown[]).length;
  if (!systemKey && components !== paths.length) {
    throw errors.badRequest(
      `The partition key ${value} has ${components} value(s); container '${container.id}' is partitioned by ${paths.length} path(s) (${paths.join(", ")}).`,
    );
  }
  return partitionKey;
}

export function deleteAllItemsForPartitionKey(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  const partitionKey = logicalPartition(container, request);
  const requestCharge = ctx.store.transaction(() =>
    ctx.store
      .itemsInLogicalPartition(container.rid, partitionKey)
      .reduce((charge, item) => charge + deleteItem(ctx, container, partitionKey, item.id).requestCharge, 0),
  );
  return { status: 200, requestCharge };
}
