import { errors } from "../errors";
import { nowSeconds } from "../resource-ids";
import type { ContainerDefinition, ContainerRecord, ItemRecord } from "../store/store";
import type { EmulatorContext } from "./context";

/**
 * The all-versions-and-deletes log that `A-IM: Full-Fidelity Feed` reads. A container keeps one while its
 * `changeFeedPolicy.retentionDuration` (minutes) is above 0, as the service does: every create, replace and
 * delete from then on is recorded with the LSN it got, and versions older than the retention are dropped.
 */

/**
 * Expired versions dropped per write or feed read: far more than one write adds, so the log keeps up, and
 * few enough that no request waits long on it.
 */
const pruneBatch = 1000;

export function retentionMinutes(definition: ContainerDefinition): number {
  return definition.changeFeedPolicy?.retentionDuration ?? 0;
}

/** A policy other than `{retentionDuration: <whole minutes, 0 or more>}` is refused, naming what was sent. */
export function validateChangeFeedPolicy(definition: ContainerDefinition): void {
  const policy: unknown = definition.changeFeedPolicy;
  if (policy === undefined) return;
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    throw errors.badRequest(
      `The change feed policy ${JSON.stringify(policy)} is invalid: give it as {"retentionDuration": <minutes>}.`,
    );
  }
  const retention = (policy as { retentionDuration?: unknown }).retentionDuration;
  if (retention !== undefined && !(Number.isInteger(retention) && (retention as number) >= 0)) {
    throw errors.badRequest(
      `The change feed policy's retentionDuration ${JSON.stringify(retention)} is invalid: it must be a whole number of minutes, 0 or more.`,
    );
  }
}

/**
 * Called when a container's definition is replaced. Turning the log on starts it at each partition's
 * current LSN, so changes made before the policy never appear; turning it off drops it.
 */
export function policyReplaced(
  ctx: EmulatorContext,
  before: ContainerRecord,
  after: ContainerDefinition,
): void {
  if (retentionMinutes(before.definition) > 0 !== retentionMinutes(after) > 0) {
    ctx.store.restartVersions(before.rid);
  }
}

/**
 * A write of `written` over `existing` (absent for a create), or the delete of `deleted` — by a client, or
 * by TTL when `expired`.
 */
export type ItemChange =
  { written: ItemRecord; existing?: ItemRecord } | { deleted: ItemRecord; expired?: boolean };

/** Appends `change` to the container's log if it keeps one. Runs inside the write's transaction. */
export function recordVersion(ctx: EmulatorContext, container: ContainerRecord, change: ItemChange): void {
  if (retentionMinutes(container.definition) === 0) return;
  if ("deleted" in change) {
    const { deleted } = change;
    ctx.store.appendVersion(container.rid, {
      operation: "delete",
      // Only this log shows deletes, so only a logged delete takes an LSN: the latest-version feed's
      // positions stay as they were for containers without a policy.
      lsn: ctx.store.nextLsn(container.rid, deleted.partition),
      crts: nowSeconds(),
      previousLsn: deleted.lsn,
      image: deleted,
      ...(change.expired ? { timeToLiveExpired: true } : {}),
    });
  } else {
    const { written, existing } = change;
    ctx.store.appendVersion(container.rid, {
      operation: existing ? "replace" : "create",
      lsn: written.lsn,
      crts: written.ts,
      previousLsn: existing?.lsn,
      image: written,
    });
  }
  pruneExpiredVersions(ctx, container);
}

/** Drops versions older than the container's retention, oldest first, a bounded number at a time. */
export function pruneExpiredVersions(ctx: EmulatorContext, container: ContainerRecord): void {
  const cutoff = nowSeconds() - retentionMinutes(container.definition) * 60;
  ctx.store.pruneVersions(container.rid, cutoff, pruneBatch);
}
