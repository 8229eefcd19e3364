/**
 * Every error the emulator answers with is built here, with the status, substatus and `code` the real
 * service uses, so clients (and the SDK's retry policies) branch on them exactly as they would against Azure.
 */
export class CosmosError extends Error {
  /** Machine-readable detail the service adds to some errors, e.g. the query plan of a query it cannot run. */
  additionalErrorInfo?: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly substatus = 0,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "CosmosError";
  }
}

export const SubStatus = {
  ownerResourceNotFound: 1003,
  partitionKeyMismatch: 1001,
  requestRateTooLarge: 3200,
  authTokenTimeout: 3,
  partitionKeyRangeGone: 1002,
  crossPartitionQueryNotServable: 1004,
} as const;

export const errors = {
  badRequest: (message: string, substatus = 0) => new CosmosError(400, "BadRequest", message, substatus),
  unauthorized: (message: string) => new CosmosError(401, "Unauthorized", message),
  forbidden: (message: string, substatus = 0) => new CosmosError(403, "Forbidden", message, substatus),
  notFound: () => new CosmosError(404, "NotFound", "Resource Not Found"),
  ownerNotFound: (link: string) =>
    new CosmosError(
      404,
      "NotFound",
      `Owner resource does not exist. ResourceLink: ${link}`,
      SubStatus.ownerResourceNotFound,
    ),
  methodNotAllowed: (method: string, path: string) =>
    new CosmosError(405, "MethodNotAllowed", `The requested verb ${method} is not supported on ${path}.`),
  conflict: (message = "Entity with the specified id already exists in the system.") =>
    new CosmosError(409, "Conflict", message),
  preconditionFailed: () =>
    new CosmosError(
      412,
      "PreconditionFailed",
      "Operation cannot be performed because one of the specified precondition is not met.",
    ),
  /** The service's message is the first line, which clients match on; the sizes follow on the next. */
  requestTooLarge: (bytes: number, limit: number) =>
    new CosmosError(
      413,
      "RequestEntityTooLarge",
      `Message: {"Errors":["Request size is too large"]}\r\nThe request is ${bytes} bytes, over the limit of ${limit} bytes.`,
    ),
  tooManyRequests: (retryAfterMs: number) =>
    new CosmosError(
      429,
      "TooManyRequests",
      "Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later.",
      SubStatus.requestRateTooLarge,
      { "x-ms-retry-after-ms": String(retryAfterMs) },
    ),
  /**
   * A cross-partition query whose partitions' rows the client must merge: the gateway answers the SDK's
   * first (optimistic) request with the query plan, and the SDK runs the query through its pipeline.
   */
  crossPartitionQueryNotServable: (queryPlan: string) => {
    const error = new CosmosError(
      400,
      "BadRequest",
      "The provided cross partition query can not be directly served by the gateway. This is a first chance " +
        "(internal) exception that all newer clients will know how to handle gracefully. This exception is " +
        "traced, but unless you see it bubble up as an exception (which only happens on older SDK clients), " +
        "then you can safely ignore this message.",
      SubStatus.crossPartitionQueryNotServable,
    );
    error.additionalErrorInfo = queryPlan;
    return error;
  },
  gone: (message: string) => new CosmosError(410, "Gone", message, SubStatus.partitionKeyRangeGone),
  serviceUnavailable: () =>
    new CosmosError(503, "ServiceUnavailable", "Service is currently unavailable. Please retry the request."),
} as const;

/** The JSON body the service sends with an error; the SDK reads `code`, `message` and `additionalErrorInfo`. */
export function errorBody(error: CosmosError): string {
  const { code, message, additionalErrorInfo } = error;
  return JSON.stringify(
    additionalErrorInfo === undefined ? { code, message } : { code, message, additionalErrorInfo },
  );
}
