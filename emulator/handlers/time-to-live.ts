import { errors } from "../errors";
import { defaultTtlOf } from "../store/expiry";
import type { ContainerDefinition, ContainerRecord } from "../store/store";
import type { EmulatorContext } from "./context";
import { recordVersion } from "./version-log";

/**
 * Time to live as the service does it: a container's `defaultTtl` and an item's `ttl` are -1 or a
 * non-zero positive 32-bit number of seconds. The store hides expired items (`store/expiry.ts`); this
 * module validates the settings and purges what has expired, in the background, as the service does,
 * logging each purge as a delete in a container that keeps an all-versions log.
 */

const maxTtlSeconds = 2 ** 31 - 1;
/** Expired items purged per sweep, across containers: bounded, so no request waits long behind it. */
const purgeBatch = 1000;
const sweepIntervalMs = 1000;

function isValidTtl(value: unknown): boolean {
  return (
    value === -1 || (Number.isInteger(value) && (value as number) > 0 && (value as number) <= maxTtlSeconds)
  );
}

/** `defaultTtl`, when the definition has one at all, must be -1 or positive seconds; null is refused too. */
export function validateDefaultTtl(definition: ContainerDefinition): void {
  if (!("defaultTtl" in definition) || isValidTtl(definition.defaultTtl)) return;
  throw errors.badRequest(
    `The specified collection 'defaultTtl' value ${JSON.stringify(definition.defaultTtl)} is invalid. Valid values are -1 or a non-zero positive 32-bit integer.`,
  );
}

/**
 * An item's `ttl` takes effect only in a container with TTL on, but the service checks it in every
 * container: a bulk Create of `{ttl: -10}` into a container without TTL fails with 400.
 */
export function validateItemTtl(document: Record<string, unknown>): void {
  if (!("ttl" in document) || isValidTtl(document.ttl)) return;
  throw errors.badRequest(
    `The specified document 'ttl' value ${JSON.stringify(document.ttl)} is invalid. Valid values are -1 or a non-zero positive 32-bit integer.`,
  );
}

/** Deletes up to `limit` of the container's expired items in one transaction; returns how many. */
export function purgeExpiredItems(ctx: EmulatorContext, container: ContainerRecord, limit: number): number {
  return ctx.store.transaction(() => {
    const expired = ctx.store.expiredItems(container.rid, limit);
    for (const item of expired) {
      ctx.store.deleteItem(container.rid, item.partitionKey, item.id);
      recordVersion(ctx, container, { deleted: item, expired: true });
    }
    return expired.length;
  });
}

/** One sweep: every container with TTL on, until `purgeBatch` items have been purged. */
export function sweepExpiredItems(ctx: EmulatorContext): void {
  let budget = purgeBatch;
  for (const database of ctx.store.listDatabases()) {
    for (const container of ctx.store.listContainers(database.id)) {
      if (budget === 0) return;
      if (defaultTtlOf(container.definition) !== undefined) {
        budget -= purgeExpiredItems(ctx, container, budget);
      }
    }
  }
}

/** Sweeps once a second until stopped; the timer does not keep the process alive. */
export function startExpirySweep(ctx: EmulatorContext): { stop(): void } {
  const timer = setInterval(() => sweepExpiredItems(ctx), sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
