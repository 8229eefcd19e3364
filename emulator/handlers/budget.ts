import type { CosmosResponse } from "../protocol";
import type { ContainerRecord } from "../store/store";
import { admit, chargeContainer, type EmulatorContext } from "./context";

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
