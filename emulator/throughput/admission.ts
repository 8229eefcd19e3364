/**
 * Admission and charging of data-plane requests against provisioned throughput: the offer that pays for a
 * container (its own, else its database's), a 429 with the service's retry-after while that budget is spent,
 * and the charge taken once a request has run (see `rate-limiter.ts` for the buckets, `request-units.ts` for
 * what a request costs).
 */
import { errors } from "../errors";
import type { EmulatorContext } from "../handlers/context";
import type { CosmosResponse } from "../protocol";
import type { ContainerRecord, OfferRecord } from "../store/store";

/** RU/s an offer grants: manual throughput, or the autoscale maximum (autoscale scales up instantly). */
export function offerRate(offer: Pick<OfferRecord, "content">): number {
  return offer.content.offerAutopilotSettings?.maxThroughput ?? offer.content.offerThroughput ?? 0;
}

/** The offer that pays for a container's requests: its own, else its database's shared one. */
function budgetOf(ctx: EmulatorContext, container: ContainerRecord): OfferRecord | undefined {
  return ctx.store.getOfferForResource(container.rid) ?? ctx.store.getOfferForResource(container.databaseRid);
}

/** Throws 429 with the service's retry-after when the container's budget is spent for now. */
function admit(ctx: EmulatorContext, container: ContainerRecord): void {
  const retryAfterMs = retryAfter(ctx, container);
  if (retryAfterMs > 0) throw errors.tooManyRequests(retryAfterMs);
}

/** Milliseconds until the container's budget admits a request (0: now), for callers that meter themselves. */
export function retryAfter(ctx: EmulatorContext, container: ContainerRecord): number {
  const offer = budgetOf(ctx, container);
  return offer ? ctx.limiter.retryAfterMs(offer.rid, offerRate(offer)) : 0;
}

/** Takes a request's charge from the budget that pays for the container, once the request has run. */
export function chargeContainer(
  ctx: EmulatorContext,
  container: ContainerRecord,
  requestUnits: number,
): void {
  const offer = budgetOf(ctx, container);
  if (offer) ctx.limiter.charge(offer.rid, offerRate(offer), requestUnits);
}

/** Runs one data-plane request against the container's provisioned throughput: 429 first if it is spent. */
export function withinBudget(
  ctx: EmulatorContext,
  container: ContainerRecord,
  handle: () => CosmosResponse,
): CosmosResponse {
  admit(ctx, container);
  const response = handle();
  chargeContainer(ctx, container, response.requestCharge);
  return response;
}
