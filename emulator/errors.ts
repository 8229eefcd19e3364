/**
 * Every error the emulator answers with is built here, with the status, substatus and `code` the real
 * service uses, so clients (and the SDK's retry policies) branch on them exactly as they would against Azure.
 */
export class CosmosError extends Error {
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
  requestTooLarge: (bytes: number, limit: number) =>
    new CosmosError(
      413,
      "RequestEntityTooLarge",
      `Request size is too large: ${bytes} bytes exceeds the limit of ${limit} bytes.`,
    ),
  tooManyRequests: (retryAfterMs: number) =>
    new CosmosError(
      429,
      "TooManyRequests",
      "Request rate is large. More Request Units may be needed, so no changes were made. Please retry this request later.",
      SubStatus.requestRateTooLarge,
      { "x-ms-retry-after-ms": String(retryAfterMs) },
    ),
  gone: (message: string) => new CosmosError(410, "Gone", message, SubStatus.partitionKeyRangeGone),
  serviceUnavailable: () =>
    new CosmosError(503, "ServiceUnavailable", "Service is currently unavailable. Please retry the request."),
} as const;

/** The JSON body the service sends with an error; the SDK reads `code` and `message`. */
export function errorBody(error: CosmosError): string {
  return JSON.stringify({ code: error.code, message: error.message });
}
