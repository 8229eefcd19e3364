/**
 * Errors the engine reports to people. Each keeps a stable `code` callers branch on, names the bad value in
 * its message, and says how to fix it; service errors keep the service's status and substatus.
 */
export class CopyJobError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
    readonly statusCode?: number,
    readonly substatus?: number,
  ) {
    super(fix ? `${message} ${fix}` : message);
    this.name = "CopyJobError";
  }
}

export function ownerResourceMissing(
  role: "source" | "destination",
  what: string,
  lookedUp: string,
): CopyJobError {
  const fix =
    role === "destination"
      ? "Create the target container first, with the partition key you want (in a Pulumi program, pass the container resource's name as an Output so the job waits for it)."
      : "Check the source database and container names.";
  return new CopyJobError(
    "OwnerResourceNotFound",
    `Owner resource does not exist: the ${role} ${what} '${lookedUp}' was not found (404, substatus 1003).`,
    fix,
    404,
    1003,
  );
}

/**
 * The service error a Cosmos SDK call threw, as `{ code, substatus }`, or undefined for anything else. The SDK
 * wraps some (bulk) errors in a plain Error whose `cause` is the service's, so causes are followed.
 */
export function serviceStatus(error: unknown): { code: number; substatus?: number } | undefined {
  const e = error as { code?: unknown; statusCode?: unknown; substatus?: unknown; cause?: unknown };
  const code =
    typeof e?.code === "number" ? e.code : typeof e?.statusCode === "number" ? e.statusCode : undefined;
  if (code === undefined) return e?.cause ? serviceStatus(e.cause) : undefined;
  return { code, substatus: typeof e.substatus === "number" ? e.substatus : undefined };
}

const transientStatusCodes = new Set([408, 410, 429, 449, 500, 502, 503]);
const transientNetworkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

/** Faults worth retrying with back-off: throttling, timeouts, unavailability, dropped connections. */
export function isTransient(error: unknown): boolean {
  const status = serviceStatus(error);
  if (status) return transientStatusCodes.has(status.code);
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && transientNetworkCodes.has(code)) return true;
  const cause = (error as { cause?: unknown })?.cause;
  if (cause && isTransient(cause)) return true;
  const name = (error as { name?: unknown })?.name;
  return (
    name === "TimeoutError" ||
    name === "AbortError" ||
    /socket hang up|ECONNRESET|network/i.test(String(error))
  );
}

export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof CopyJobError) return { code: error.code, message: error.message };
  const status = serviceStatus(error);
  const message = error instanceof Error ? error.message : String(error);
  if (status) return { code: `Http${status.code}${status.substatus ? `.${status.substatus}` : ""}`, message };
  return { code: "InternalError", message };
}

/**
 * Failures to reach or sign in to the account, explained with the endpoint and the fix; anything else is
 * returned unchanged. Never includes the key.
 */
export function explainConnectionError(error: unknown, endpoint: string): unknown {
  const status = serviceStatus(error)?.code;
  if (status === 401 || status === 403) {
    return new CopyJobError(
      "Unauthorized",
      `The account at '${endpoint}' refused the credentials (${status}).`,
      "Check the key (the account's primary or secondary key, from COSMOS_KEY or a key file) or the identity's data-plane role.",
      status,
    );
  }
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  if (
    typeof code === "string" &&
    ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"].includes(code)
  ) {
    return new CopyJobError(
      "EndpointUnreachable",
      `Cannot reach the account endpoint '${endpoint}' (${code}).`,
      "Check the endpoint URL and that the account (or the local emulator) is running and reachable.",
    );
  }
  if (/self[- ]signed|certificate/i.test(String((error as Error)?.message))) {
    return new CopyJobError(
      "UntrustedCertificate",
      `The endpoint '${endpoint}' presented a certificate this machine does not trust.`,
      "For a local emulator, trust its certificate (NODE_EXTRA_CA_CERTS, the CLI's --ca-file or the resource's caCertificate) or allow insecure TLS explicitly.",
    );
  }
  return error;
}
