import { CosmosError, errors } from "../errors";
import {
  header,
  isTrue,
  jsonBody,
  wantsWrittenContent,
  type CosmosRequest,
  type CosmosResponse,
} from "../protocol";
import type { ContainerRecord } from "../store/store";
import { chargeContainer, retryAfter } from "../throughput/admission";
import { requireRange, type EmulatorContext } from "./context";
import {
  canonicalPartitionKey,
  deleteItem,
  maxItemBytes,
  patchItem,
  readItem,
  renderItem,
  writeItem,
  type OperationResult,
} from "./item-operations";
import type { PatchOperation } from "./patch";

/**
 * `POST …/docs` with `x-ms-cosmos-is-batch-request`: a transactional batch (atomic, one logical partition)
 * or a bulk request (each operation on its own, throttled one by one as the service does).
 */
interface BatchOperation {
  operationType: string;
  id?: string;
  partitionKey?: string;
  resourceBody?: unknown;
  ifMatch?: string;
}

const maxOperations = 100;

/**
 * Runs one operation. `batchKey` is a transactional batch's partition key (from its header): operations that
 * name none of their own run in that logical partition, so Read, Delete, Replace and Patch need only an id.
 */
function run(
  ctx: EmulatorContext,
  container: ContainerRecord,
  operation: BatchOperation,
  batchKey?: string,
): OperationResult {
  const body = operation.resourceBody as { id?: unknown; operations?: PatchOperation[]; condition?: string };
  const partitionKey =
    operation.partitionKey === undefined ? batchKey : canonicalPartitionKey(operation.partitionKey);
  const id = operation.id ?? (typeof body?.id === "string" ? body.id : undefined);
  const keyed = (): [string, string] => {
    if (partitionKey === undefined || id === undefined) {
      throw errors.badRequest(
        `Batch operation ${operation.operationType} needs an id and a partition key; it has ${JSON.stringify({ id, partitionKey })}.`,
      );
    }
    return [partitionKey, id];
  };
  switch (operation.operationType) {
    case "Create":
      return writeItem(ctx, container, "create", body, { partitionKey });
    case "Upsert":
      return writeItem(ctx, container, "upsert", body, { partitionKey, ifMatch: operation.ifMatch });
    case "Replace":
      return writeItem(ctx, container, "replace", body, { partitionKey, id, ifMatch: operation.ifMatch });
    case "Read":
      return readItem(ctx, container, ...keyed());
    case "Delete":
      return deleteItem(ctx, container, ...keyed(), operation.ifMatch);
    case "Patch":
      return patchItem(
        ctx,
        container,
        ...keyed(),
        { operations: body?.operations ?? [], condition: body?.condition },
        operation.ifMatch,
      );
    default:
      throw errors.badRequest(`Batch operation type '${operation.operationType}' is not supported.`);
  }
}

/**
 * A transactional batch runs in the logical partition its header names; an operation that names another
 * fails the whole request with the service's 400, before anything runs.
 */
function batchPartitionKey(request: CosmosRequest, operations: BatchOperation[]): string {
  const value = header(request, "x-ms-documentdb-partitionkey");
  if (value === undefined) {
    throw errors.badRequest(
      "A transactional batch needs the x-ms-documentdb-partitionkey header naming its logical partition.",
    );
  }
  const batchKey = canonicalPartitionKey(value);
  const stray = operations.find(
    (operation) =>
      operation.partitionKey !== undefined && canonicalPartitionKey(operation.partitionKey) !== batchKey,
  );
  if (stray) {
    throw errors.badRequest(
      `One or more operations within the batch request have a different partition key value than the request. The operation names ${stray.partitionKey}, the request ${batchKey}.`,
    );
  }
  return batchKey;
}

function resultText(status: number, charge: number, extra: Record<string, unknown>, item?: string): string {
  const fields = JSON.stringify({ statusCode: status, requestCharge: charge, ...extra }).slice(0, -1);
  return item === undefined ? `${fields}}` : `${fields},"resourceBody":${item}}`;
}

/** `Prefer: return=minimal` leaves the item out of write results; a Read still carries it. */
function success(
  container: ContainerRecord,
  operation: BatchOperation,
  result: OperationResult,
  withContent: boolean,
): string {
  const rendered = withContent || operation.operationType === "Read";
  return resultText(
    result.status,
    result.requestCharge,
    result.item ? { eTag: result.item.etag } : {},
    result.item && rendered ? renderItem(container, result.item) : undefined,
  );
}

function failure(error: CosmosError): string {
  const retryAfterMilliseconds = error.headers["x-ms-retry-after-ms"];
  return resultText(error.status, error.status === 429 ? 0 : 1, {
    subStatusCode: error.substatus,
    message: error.message,
    ...(retryAfterMilliseconds ? { retryAfterMilliseconds: Number(retryAfterMilliseconds) } : {}),
  });
}

function operationsOf(request: CosmosRequest): BatchOperation[] {
  // The service refuses a batch or bulk request over 2 MB as a whole, before running any operation.
  if (request.body.length > maxItemBytes) throw errors.requestTooLarge(request.body.length, maxItemBytes);
  const operations = jsonBody<BatchOperation[]>(request);
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > maxOperations) {
    throw errors.badRequest(`A batch holds 1 to ${maxOperations} operations.`);
  }
  return operations;
}

/** With `continueOnError` false the service stops at the first failed operation: the rest answer 424. */
const notRun = () => resultText(424, 0, { subStatusCode: 0, message: "Failed Dependency" });

function bulk(
  ctx: EmulatorContext,
  container: ContainerRecord,
  operations: BatchOperation[],
  withContent: boolean,
  continueOnError: boolean,
): CosmosResponse {
  let total = 0;
  let anyFailed = false;
  let throttled = 0;
  const results = ctx.store.transaction(() =>
    operations.map((operation) => {
      if (anyFailed && !continueOnError) return notRun();
      const waitMs = retryAfter(ctx, container);
      try {
        if (waitMs > 0) throw errors.tooManyRequests(waitMs);
        const result = ctx.store.transaction(() => run(ctx, container, operation));
        chargeContainer(ctx, container, result.requestCharge);
        total += result.requestCharge;
        return success(container, operation, result, withContent);
      } catch (error) {
        if (!(error instanceof CosmosError)) throw error;
        anyFailed = true;
        if (error.status === 429) throttled += 1;
        return failure(error);
      }
    }),
  );
  return {
    status: anyFailed ? 207 : 200,
    body: `[${results.join(",")}]`,
    requestCharge: total,
    throttledOperations: throttled,
  };
}

/** All or nothing: a failed operation rolls the batch back; it answers 207 with 424 for the others. */
function atomic(
  ctx: EmulatorContext,
  container: ContainerRecord,
  operations: BatchOperation[],
  batchKey: string,
  withContent: boolean,
): CosmosResponse {
  const waitMs = retryAfter(ctx, container);
  if (waitMs > 0) throw errors.tooManyRequests(waitMs);
  const results: OperationResult[] = [];
  try {
    ctx.store.transaction(() => {
      for (const operation of operations) results.push(run(ctx, container, operation, batchKey));
    });
  } catch (error) {
    if (!(error instanceof CosmosError)) throw error;
    const failedAt = results.length;
    const texts = operations.map((_, index) => (index === failedAt ? failure(error) : notRun()));
    return { status: 207, body: `[${texts.join(",")}]`, requestCharge: 1 };
  }
  const total = results.reduce((sum, r) => sum + r.requestCharge, 0);
  chargeContainer(ctx, container, total);
  return {
    status: 200,
    body: `[${results.map((r, index) => success(container, operations[index], r, withContent)).join(",")}]`,
    requestCharge: total,
  };
}

export function executeBatch(
  ctx: EmulatorContext,
  container: ContainerRecord,
  request: CosmosRequest,
): CosmosResponse {
  // Bulk requests address the range the SDK grouped their operations by; after a split it must regroup.
  const rangeId = header(request, "x-ms-documentdb-partitionkeyrangeid");
  if (rangeId !== undefined) requireRange(ctx.store.listPartitions(container.rid), container, rangeId);
  const operations = operationsOf(request);
  const withContent = wantsWrittenContent(request);
  return isTrue(request, "x-ms-cosmos-batch-atomic")
    ? atomic(ctx, container, operations, batchPartitionKey(request, operations), withContent)
    : bulk(
        ctx,
        container,
        operations,
        withContent,
        header(request, "x-ms-cosmos-batch-continue-on-error")?.toLowerCase() !== "false",
      );
}
