import { errors } from "../errors";
import { isChildRid } from "../resource-ids";
import type { ContainerRecord, DatabaseRecord, ItemRecord } from "../store/store";
import type { PermissionScope } from "../store/user-store";
import type { EmulatorContext } from "./context";

/** Bytes an item's rid adds to its container's. */
const itemRidBytes = 8;
/** Items read per step while looking for an item by rid. */
const scanPage = 1000;

/**
 * Resolves a permission's `resource` to what it covers. The link may name its resources by id
 * (`dbs/d/colls/c`, the SDK's `container.url`) or by rid (a `_self`), and must lie in the user's database:
 * a container, or one item of it. Resolving to rids means a container deleted and made again under the
 * same name is not covered by permissions given on the old one.
 */
export function resolvePermissionScope(
  ctx: EmulatorContext,
  database: DatabaseRecord,
  resource: unknown,
  resourcePartitionKey: unknown,
): PermissionScope {
  if (typeof resource !== "string" || resource.trim() === "") {
    throw errors.badRequest(
      `The permission's resource is missing or not a string: give the link of a container or an item, such as dbs/${database.id}/colls/{container}.`,
    );
  }
  const segments = resource.replace(/^\/+|\/+$/g, "").split("/");
  const [dbs, databaseName, colls, containerName, docs, itemName] = segments;
  const shapeIsValid =
    dbs === "dbs" &&
    colls === "colls" &&
    (segments.length === 4 || (segments.length === 6 && docs === "docs"));
  if (!shapeIsValid) {
    throw errors.badRequest(
      `The permission's resource '${resource}' is not the link of a container (dbs/{database}/colls/{container}) or of an item (…/docs/{item}).`,
    );
  }
  if (databaseName !== database.id && databaseName !== database.rid) {
    throw errors.badRequest(
      `The permission's resource '${resource}' is outside database '${database.id}', which owns the user.`,
    );
  }
  const container =
    ctx.store.getContainer(database.id, containerName) ??
    ctx.store.listContainers(database.id).find((c) => c.rid === containerName);
  if (!container) {
    throw errors.badRequest(
      `The permission's resource '${resource}' names container '${containerName}', which does not exist in database '${database.id}'.`,
    );
  }
  return {
    databaseRid: database.rid,
    containerRid: container.rid,
    ...(itemName === undefined ? {} : itemScope(ctx, container, itemName, resource)),
    ...(resourcePartitionKey === undefined
      ? {}
      : { partitionKey: canonicalPartitionKey(resourcePartitionKey) }),
  };
}

/** An item named by rid is looked up (its id and partition key are what requests address it by). */
function itemScope(
  ctx: EmulatorContext,
  container: ContainerRecord,
  itemName: string,
  resource: string,
): Pick<PermissionScope, "itemId" | "itemPartitionKey"> {
  if (!isChildRid(container.rid, itemName, itemRidBytes)) return { itemId: itemName };
  const item = findItemByRid(ctx, container, itemName);
  if (!item) {
    throw errors.badRequest(
      `The permission's resource '${resource}' names item '${itemName}', which does not exist in container '${container.id}'.`,
    );
  }
  return { itemId: item.id, itemPartitionKey: item.partitionKey };
}

/** Items have no index by rid; a permission is written rarely, so a scan is the honest price. */
function findItemByRid(
  ctx: EmulatorContext,
  container: ContainerRecord,
  rid: string,
): ItemRecord | undefined {
  let page = ctx.store.scanItems(container.rid, { limit: scanPage });
  while (page.length > 0) {
    const found = page.find(({ item }) => item.rid === rid);
    if (found) return found.item;
    page = ctx.store.scanItems(container.rid, { limit: scanPage, after: page[page.length - 1].position });
  }
  return undefined;
}

/**
 * A partition key value as the JSON array the SDK sends in `x-ms-documentdb-partitionkey`, so the two
 * compare as text: `resourcePartitionKey` may be one value or an array of them.
 */
export function canonicalPartitionKey(value: unknown): string {
  return JSON.stringify(Array.isArray(value) ? value : [value]);
}
