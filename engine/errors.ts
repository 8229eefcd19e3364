/**
 * Errors the engine reports to people. Each keeps a stable `code` callers branch on, names the bad value in
 * its message, and says how to fix it; service errors keep the service's status and substatus.
 */
export interface CopyJobErrorDetails {
  /** The service's status and substatus, for errors that stand for one. */
  statusCode?: number;
  substatus?: number;
  /**
   * The part of the job's input the error is about: a spec field (`name`, `source`, `destination`, an
   * option such as `targetThroughputLimit`) or `account` (its endpoint or credentials), so a caller can
   * put the error next to what the user must change.
   */
  field?: string;
}

export class CopyJobError extends Error {
  readonly statusCode?: number;
  readonly substatus?: number;
  readonly field?: string;

  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
    details: CopyJobErrorDetails = {},
  ) {
    super(fix ? `${message} ${fix}` : message);
    this.name = "CopyJobError";
    ({ statusCode: this.statusCode, substatus: this.substatus, field: this.field } = details);
  }
}

/** The service's wording for a missing database, container, keyspace or table; `fix` says what to do. */
export function ownerResourceMissing(
  role: "source" | "destination",
  what: string,
  lookedUp: string,
  fix = role === "destination"
    ? "Create the target container first, with the partition key you want (in a Pulumi program, pass the container resource's name as an Output so the job waits for it)."
    : "Check the source database and container names.",
): CopyJobError {
  return new CopyJobError(
    "OwnerResourceNotFound",
    `Owner resource does not exist: the ${role} ${what} '${lookedUp}' was not found (404, substatus 1003).`,
    fix,
    { statusCode: 404, substatus: 1003, field: role },
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

/** 429 is not among them: throttling is the SDK's retry policy's concern (see connection.ts). */
const transientStatusCodes = new Set([408, 410, 449, 500, 502, 503]);
const transientNetworkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);

/** A 429 that outlasted the SDK's own throttling retries. */
export function isThrottled(error: unknown): boolean {
  return serviceStatus(error)?.code === 429;
}

/** Faults worth retrying with back-off: timeouts, unavailability, dropped connections. */
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

/** What kind of failure to reach the account an error is, for the engine's and the CLI's explanations. */
export type ConnectionFailure = "unauthorized" | "unreachable" | "untrustedCertificate" | "signIn";

const tlsCodes = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const unreachableCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET"]);
const signInErrors = new Set([
  "AggregateAuthenticationError",
  "CredentialUnavailableError",
  "AuthenticationError",
]);

/** The error and its causes: the SDKs wrap socket and TLS errors. */
function causeChain(error: unknown): { code?: unknown; name?: unknown; message?: unknown }[] {
  const chain: { code?: unknown; name?: unknown; message?: unknown; cause?: unknown }[] = [];
  for (let e = error as (typeof chain)[number] | undefined; e && chain.length < 10; e = e.cause as typeof e) {
    chain.push(e);
  }
  return chain;
}

/** The one classifier of connection failures; undefined for anything else. */
export function classifyConnectionFailure(error: unknown): ConnectionFailure | undefined {
  if (error instanceof CopyJobError) {
    const byCode: Record<string, ConnectionFailure> = {
      Unauthorized: "unauthorized",
      EndpointUnreachable: "unreachable",
      UntrustedCertificate: "untrustedCertificate",
    };
    return byCode[error.code];
  }
  const status = serviceStatus(error)?.code;
  if (status === 401 || status === 403) return "unauthorized";
  const chain = causeChain(error);
  if (chain.some(({ name }) => typeof name === "string" && signInErrors.has(name))) return "signIn";
  const codes = chain.map(({ code }) => code).filter((code): code is string => typeof code === "string");
  if (codes.some((code) => tlsCodes.has(code))) return "untrustedCertificate";
  if (codes.some((code) => unreachableCodes.has(code))) return "unreachable";
  if (chain.some(({ message }) => /self[- ]signed|certificate/i.test(String(message)))) {
    return "untrustedCertificate";
  }
  return undefined;
}

/** Which of a job's accounts a connection reaches: the job's own (state and target), or its source's. */
export type AccountRole = "account" | "sourceAccount";

/** How errors name each account, and where its key comes from. */
export const accountWords: Record<AccountRole, { name: string; keySource: string }> = {
  account: { name: "account", keySource: "COSMOS_KEY or a key file" },
  sourceAccount: {
    name: "source account",
    keySource: "COSMOS_SOURCE_KEY or --src-key-file; in Pulumi, sourceAccount.key",
  },
};

/**
 * Failures to reach or sign in to an account, explained with its endpoint, its role and the fix (the
 * error's `field` is the role); anything else is returned unchanged. Never includes the key.
 */
export function explainConnectionError(
  error: unknown,
  endpoint: string,
  role: AccountRole = "account",
): unknown {
  if (error instanceof CopyJobError) return error;
  const { name, keySource } = accountWords[role];
  switch (classifyConnectionFailure(error)) {
    case "unauthorized": {
      const status = serviceStatus(error)?.code;
      return new CopyJobError(
        "Unauthorized",
        `The ${name} at '${endpoint}' refused the credentials (${status}).`,
        `Check the key (the account's primary or secondary key, from ${keySource}) or the identity's data-plane role.`,
        { statusCode: status, field: role },
      );
    }
    case "unreachable": {
      const code = causeChain(error)
        .map((e) => e.code)
        .find((c): c is string => typeof c === "string" && unreachableCodes.has(c));
      return new CopyJobError(
        "EndpointUnreachable",
        `Cannot reach the ${name} endpoint '${endpoint}' (${code}).`,
        "Check the endpoint URL and that the account (or the local emulator) is running and reachable.",
        { field: role },
      );
    }
    case "untrustedCertificate":
      return new CopyJobError(
        "UntrustedCertificate",
        `The ${name} endpoint '${endpoint}' presented a certificate this machine does not trust.`,
        "For a local emulator, trust its certificate (NODE_EXTRA_CA_CERTS, the CLI's --ca-file / --src-ca-file or the resource's caCertificate) or allow insecure TLS explicitly.",
        { field: role },
      );
    default:
      return error;
  }
}
