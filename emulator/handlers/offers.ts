import { errors } from "../errors";
import { feedBody, header, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newEtag, newOfferRid, nowSeconds } from "../resource-ids";
import type { ContainerRecord, OfferContent, OfferRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { offerRate } from "../throughput/admission";
import type { EmulatorContext } from "./context";
import { queryResources } from "./resource-query";
import { splitForThroughput } from "./splits";

const minimumManualThroughput = 400;
const minimumAutoscaleMax = 1000;

/** Provisioned throughput a create request asks for, validated as the service does; undefined if none. */
export function requestedThroughput(ctx: EmulatorContext, request: CosmosRequest): OfferContent | undefined {
  const manual = header(request, "x-ms-offer-throughput");
  const autoscale = header(request, "x-ms-cosmos-offer-autopilot-settings");
  if (manual === undefined && autoscale === undefined) return undefined;
  if (ctx.account.serverless) {
    throw errors.badRequest(
      "Setting offer throughput or autopilot on container is not supported for serverless accounts.",
    );
  }
  if (manual !== undefined) {
    const throughput = Number(manual);
    if (!Number.isInteger(throughput) || throughput < minimumManualThroughput || throughput % 100 !== 0) {
      throw errors.badRequest(
        `The offer throughput provided (${manual}) is not valid: it must be a multiple of 100 and at least ${minimumManualThroughput} RU/s.`,
      );
    }
    return { offerThroughput: throughput };
  }
  let maxThroughput: number;
  try {
    maxThroughput = Number(JSON.parse(autoscale ?? "").maxThroughput);
  } catch {
    maxThroughput = NaN;
  }
  if (!Number.isInteger(maxThroughput) || maxThroughput < minimumAutoscaleMax || maxThroughput % 1000 !== 0) {
    throw errors.badRequest(
      `The autoscale max throughput provided (${autoscale}) is not valid: it must be a multiple of 1000 and at least ${minimumAutoscaleMax} RU/s.`,
    );
  }
  return { offerThroughput: maxThroughput / 10, offerAutopilotSettings: { maxThroughput } };
}

export function createOffer(
  ctx: EmulatorContext,
  resource: { rid: string; self: string },
  content: OfferContent,
): void {
  ctx.store.putOffer({
    rid: newOfferRid(),
    resourceRid: resource.rid,
    resourceSelf: resource.self,
    content,
    ts: nowSeconds(),
    etag: newEtag(),
  });
}

function offerResource(offer: OfferRecord): Record<string, unknown> {
  return {
    id: offer.rid,
    _rid: offer.rid,
    _self: `offers/${offer.rid}/`,
    _etag: offer.etag,
    _ts: offer.ts,
    offerVersion: "V2",
    offerType: "Invalid",
    resource: offer.resourceSelf,
    offerResourceId: offer.resourceRid,
    content: { offerIsRUPerMinuteThroughputEnabled: false, ...offer.content },
  };
}

/** The container an offer pays for; undefined for a database's shared offer. */
function containerOf(ctx: EmulatorContext, offer: OfferRecord): ContainerRecord | undefined {
  return ctx.store
    .listDatabases()
    .flatMap((database) => ctx.store.listContainers(database.id))
    .find((container) => container.rid === offer.resourceRid);
}

function rejectOnServerless(ctx: EmulatorContext): void {
  if (ctx.account.serverless) {
    throw errors.badRequest("Reading or replacing offers is not supported for serverless accounts.");
  }
}

export function listOffers(ctx: EmulatorContext): CosmosResponse {
  rejectOnServerless(ctx);
  const offers = ctx.store.listOffers().map((offer) => JSON.stringify(offerResource(offer)));
  return { status: 200, body: feedBody("", "Offers", offers), requestCharge: requestUnits.metadata() };
}

export function queryOffers(ctx: EmulatorContext, request: CosmosRequest): CosmosResponse {
  rejectOnServerless(ctx);
  return queryResources(request, ctx.store.listOffers().map(offerResource), "", "Offers");
}

function requireOffer(ctx: EmulatorContext, rid: string): OfferRecord {
  rejectOnServerless(ctx);
  const offer = ctx.store.listOffers().find((o) => o.rid.toLowerCase() === rid.toLowerCase());
  if (!offer) throw errors.notFound();
  return offer;
}

export function readOffer(ctx: EmulatorContext, rid: string): CosmosResponse {
  return json(200, offerResource(requireOffer(ctx, rid)), requestUnits.metadata());
}

/** `PUT /offers/{rid}`: change manual throughput, or the autoscale maximum. */
export function replaceOffer(ctx: EmulatorContext, rid: string, request: CosmosRequest): CosmosResponse {
  const offer = requireOffer(ctx, rid);
  const body = jsonBody<{ content?: OfferContent }>(request);
  const wanted = body.content ?? {};
  const autoscaleMax = wanted.offerAutopilotSettings?.maxThroughput;
  const content: OfferContent =
    autoscaleMax !== undefined
      ? { offerThroughput: autoscaleMax / 10, offerAutopilotSettings: { maxThroughput: autoscaleMax } }
      : { offerThroughput: wanted.offerThroughput };
  const rate = autoscaleMax ?? content.offerThroughput;
  if (rate === undefined || !Number.isInteger(rate) || rate < minimumManualThroughput || rate % 100 !== 0) {
    throw errors.badRequest(
      `The offer throughput provided (${rate}) is not valid: it must be a multiple of 100 and at least ${minimumManualThroughput} RU/s.`,
    );
  }
  const updated = { ...offer, content, ts: nowSeconds(), etag: newEtag() };
  ctx.store.transaction(() => {
    ctx.store.putOffer(updated);
    // Raising a container's throughput past what its partitions hold splits them, as the service does
    // (lowering it never merges them).
    const container = containerOf(ctx, offer);
    if (container) splitForThroughput(ctx, container, offerRate(updated));
  });
  return json(200, offerResource(updated), requestUnits.metadata());
}
