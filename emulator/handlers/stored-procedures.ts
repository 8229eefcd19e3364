import { errors } from "../errors";
import { header, isTrue, type CosmosRequest, type CosmosResponse } from "../protocol";
import type { ContainerRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import type { EmulatorContext } from "./context";
import { canonicalPartitionKey } from "./item-operations";
import { requireScript, scriptSource } from "./scripts";
import { openScriptRun } from "./sproc-runtime";

/**
 * `POST …/sprocs/{id}`: runs a stored procedure in the logical partition the partition key header names,
 * with the JSON array of the request body as its arguments. Everything it writes is one transaction: when
 * it throws, none of it stays. Answers what the procedure set as the response body.
 */
export function executeStoredProcedure(
  ctx: EmulatorContext,
  container: ContainerRecord,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const procedure = requireScript(ctx, container, "sprocs", id);
  const partitionKeyHeader = header(request, "x-ms-documentdb-partitionkey");
  if (partitionKeyHeader === undefined) {
    throw errors.badRequest(
      `PartitionKey value must be supplied to execute stored procedure '${id}': it runs in one logical partition.`,
    );
  }
  const partitionKey = canonicalPartitionKey(partitionKeyHeader);
  const args = procedureArguments(request);

  const run = openScriptRun(ctx, container, partitionKey, { request: args });
  ctx.store.transaction(() => run.sandbox.load(`sprocs/${id}`, scriptSource(procedure)).call(args));
  return {
    status: 200,
    body: run.response.value === undefined ? undefined : JSON.stringify(run.response.value),
    headers: isTrue(request, "x-ms-documentdb-script-enable-logging")
      ? { "x-ms-documentdb-script-log-results": encodeURIComponent(run.sandbox.log.join("\n")) }
      : undefined,
    requestCharge: requestUnits.metadata() + run.collection.requestCharge,
  };
}

/** The request body: a JSON array of arguments, or nothing (no arguments). */
function procedureArguments(request: CosmosRequest): unknown[] {
  const text = request.body.toString("utf8").trim();
  if (text === "" || text === "null") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw errors.badRequest("The stored procedure's arguments are not valid JSON: send a JSON array.");
  }
  if (!Array.isArray(parsed)) {
    throw errors.badRequest(`The stored procedure's arguments ${text.slice(0, 100)} are not a JSON array.`);
  }
  return parsed;
}
