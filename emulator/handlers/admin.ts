import { saveAccount } from "../account";
import { errors } from "../errors";
import type { FaultInjector, FaultRules } from "../faults";
import { json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { requireContainer, type EmulatorContext } from "./context";
import { splitPartition } from "./splits";
import type { RequestStatistics } from "../statistics";

interface SplitRequest {
  database?: unknown;
  container?: unknown;
  rangeId?: string;
}

/**
 * Test controls under `/_admin/…`, signed with the account key like every other call: faults, the write
 * region, partition splits, and per-container request statistics (what benchmarks read RU use and
 * throttling from).
 */
export function handleAdmin(
  ctx: EmulatorContext,
  faults: FaultInjector,
  statistics: RequestStatistics,
  request: CosmosRequest,
): CosmosResponse {
  const [, control] = request.segments;
  const route = `${request.method} ${control}`;
  switch (route) {
    case "PUT faults":
      faults.set(jsonBody<FaultRules>(request));
      return json(200, faults.current(), 0);
    case "DELETE faults":
      faults.clear();
      return { status: 204, requestCharge: 0 };
    case "GET region":
      return json(200, { writeRegion: ctx.account.writeRegion }, 0);
    case "PUT region": {
      const { writeRegion } = jsonBody<{ writeRegion?: unknown }>(request);
      if (typeof writeRegion !== "string" || writeRegion.trim() === "") {
        throw errors.badRequest('Give the new write region as {"writeRegion": "<name>"}.');
      }
      ctx.account.writeRegion = writeRegion;
      saveAccount(ctx.store, ctx.account);
      return json(200, { writeRegion }, 0);
    }
    case "POST split": {
      const { database, container, rangeId } = jsonBody<SplitRequest>(request);
      if (typeof database !== "string" || typeof container !== "string") {
        throw errors.badRequest('Name the container as {"database": "<id>", "container": "<id>"}.');
      }
      return ctx.store.transaction(() =>
        json(200, splitPartition(ctx, requireContainer(ctx, database, container, false), rangeId), 0),
      );
    }
    case "GET statistics":
      return json(200, statistics.snapshot(), 0);
    case "DELETE statistics":
      statistics.reset();
      return { status: 204, requestCharge: 0 };
    default:
      throw errors.methodNotAllowed(request.method, `/${request.segments.join("/")}`);
  }
}
