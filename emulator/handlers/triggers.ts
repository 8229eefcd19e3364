import { errors } from "../errors";
import { extractPartitionKey } from "../../partitioning/effective-partition-key";
import { header, type CosmosRequest } from "../protocol";
import type { ContainerRecord } from "../store/store";
import type { EmulatorContext } from "./context";
import { canonicalPartitionKey, renderItem, type OperationResult } from "./item-operations";
import { requireScript, scriptSource } from "./scripts";
import { openScriptRun } from "./sproc-runtime";

/**
 * Triggers named by an item write (`x-ms-documentdb-pre-trigger-include` / `post-trigger-include`, each a
 * comma-separated list): pre-triggers run first and may replace the request's item
 * (`getContext().getRequest().setBody`), post-triggers run after the write and see the stored item as the
 * response. The triggers and the write are one transaction: a trigger that throws fails the write and
 * undoes everything the others wrote.
 */
export type TriggeredOperation = "Create" | "Upsert" | "Replace" | "Delete";

/** The trigger operations (lower-cased) that fire on each write; "update" is the older name of replace. */
const firesOn: Record<TriggeredOperation, string[]> = {
  Create: ["all", "create"],
  Upsert: ["all", "create", "replace", "update"],
  Replace: ["all", "replace", "update"],
  Delete: ["all", "delete"],
};

function namedTriggers(request: CosmosRequest, name: string): string[] {
  return (header(request, name) ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
}

interface Trigger {
  id: string;
  source: string;
}

function loadTriggers(
  ctx: EmulatorContext,
  container: ContainerRecord,
  ids: string[],
  type: "Pre" | "Post",
  operation: TriggeredOperation,
): Trigger[] {
  return ids.map((id) => {
    const trigger = requireScript(ctx, container, "triggers", id);
    const { triggerType, triggerOperation } = JSON.parse(trigger.definition) as Record<string, string>;
    if (triggerType.toLowerCase() !== type.toLowerCase()) {
      throw errors.badRequest(
        `Trigger '${id}' is a ${triggerType}-trigger; it cannot run as a ${type}-trigger.`,
      );
    }
    if (!firesOn[operation].includes(triggerOperation.toLowerCase())) {
      throw errors.badRequest(
        `Trigger '${id}' is for ${triggerOperation} operations; it cannot run on a ${operation} operation.`,
      );
    }
    return { id, source: scriptSource(trigger) };
  });
}

/** The logical partition the triggers' collection operations act in: the header's, else the item's. */
function partitionOf(container: ContainerRecord, request: CosmosRequest, body: unknown): string {
  const value = header(request, "x-ms-documentdb-partitionkey");
  if (value !== undefined) return canonicalPartitionKey(value);
  const document = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  return JSON.stringify(extractPartitionKey(container.definition.partitionKey, document));
}

/** Runs `perform` (the write, given the request's item) between the triggers the request names. */
export function withTriggers(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
  operation: TriggeredOperation,
  body: unknown,
  perform: (body: unknown) => OperationResult,
): OperationResult {
  const preIds = namedTriggers(request, "x-ms-documentdb-pre-trigger-include");
  const postIds = namedTriggers(request, "x-ms-documentdb-post-trigger-include");
  if (preIds.length === 0 && postIds.length === 0) return perform(body);
  const pre = loadTriggers(ctx, container, preIds, "Pre", operation);
  const post = loadTriggers(ctx, container, postIds, "Post", operation);
  const partitionKey = partitionOf(container, request, body);
  return ctx.store.transaction(() => {
    let requestBody = body;
    let triggerCharge = 0;
    for (const trigger of pre) {
      const run = openScriptRun(ctx, container, partitionKey, { request: requestBody });
      run.sandbox.load(`triggers/${trigger.id}`, trigger.source).call([]);
      requestBody = run.request.value;
      triggerCharge += run.collection.requestCharge;
    }
    const result = perform(requestBody);
    result.requestCharge += triggerCharge;
    const written = result.item && JSON.parse(renderItem(container, result.item));
    for (const trigger of post) {
      const run = openScriptRun(ctx, container, partitionKey, { request: requestBody, response: written });
      run.sandbox.load(`triggers/${trigger.id}`, trigger.source).call([]);
      result.requestCharge += run.collection.requestCharge;
    }
    return result;
  });
}
