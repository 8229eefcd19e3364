import type { AccountSettings } from "../account";
import { errors } from "../errors";
import type { ResourceTokens } from "../resource-tokens";
import type { RateLimiter } from "../throughput/rate-limiter";
import type { ContainerRecord, DatabaseRecord, PartitionRecord, Store } from "../store/store";

/** What every handler may use: the store, the account's settings and the throughput budgets. */
export interface EmulatorContext {
  store: Store;
  account: AccountSettings;
  /** The URL clients reach the emulator at; advertised as the account's regional endpoint. */
  endpoint: string;
  limiter: RateLimiter;
  /** Physical partitions a new container gets. */
  partitionCount: number;
  /** Mints the `_token` of permission responses. */
  resourceTokens: ResourceTokens;
}

/**
 * A missing parent answers 404 with substatus 1003 ("Owner resource does not exist"); a missing resource
 * itself answers a plain 404. `asOwner` says which of the two the caller is asking about.
 */
export function requireDatabase(ctx: EmulatorContext, id: string, asOwner: boolean): DatabaseRecord {
  const database = ctx.store.getDatabase(id);
  if (!database) throw asOwner ? errors.ownerNotFound(`dbs/${id}`) : errors.notFound();
  return database;
}

export function requireContainer(
  ctx: EmulatorContext,
  databaseId: string,
  id: string,
  asOwner: boolean,
): ContainerRecord {
  requireDatabase(ctx, databaseId, true);
  const container = ctx.store.getContainer(databaseId, id);
  if (!container) throw asOwner ? errors.ownerNotFound(`dbs/${databaseId}/colls/${id}`) : errors.notFound();
  return container;
}

/**
 * The live partition key range a request addresses by id. A range that was split (or never existed)
 * answers 410 with substatus 1002, PartitionKeyRangeGone: the SDK then re-reads `/pkranges` and retries on
 * the children.
 */
export function requireRange(
  partitions: PartitionRecord[],
  container: ContainerRecord,
  rangeId: string,
): PartitionRecord {
  const partition = partitions.find((p) => String(p.index) === rangeId);
  if (!partition) {
    throw errors.gone(`Partition key range '${rangeId}' of container '${container.id}' is gone.`);
  }
  return partition;
}

export const databaseSelf = (database: { rid: string }) => `dbs/${database.rid}/`;
export const containerSelf = (container: ContainerRecord) =>
  `dbs/${container.databaseRid}/colls/${container.rid}/`;
