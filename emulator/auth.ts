import { createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "./errors";
import type { ResourceTokenClaims, ResourceTokens } from "./resource-tokens";

/** How far a request's `x-ms-date` may be from the emulator's clock, as the service allows. */
const allowedClockSkewMs = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  resourceType: string;
  resourceLink: string;
  date: string | undefined;
  authorization: string | undefined;
}

/** The master-key signature the SDK computes (see cosmos-protocol.md §1). */
export function masterKeySignature(
  key: string,
  method: string,
  resourceType: string,
  resourceLink: string,
  date: string,
): string {
  const text = `${method.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toLowerCase()}\n\n`;
  return createHmac("sha256", Buffer.from(key, "base64")).update(text).digest("base64");
}

export function authorizationHeader(
  key: string,
  method: string,
  resourceType: string,
  resourceLink: string,
  date: string,
): string {
  const signature = masterKeySignature(key, method, resourceType, resourceLink, date);
  return encodeURIComponent(`type=master&ver=1.0&sig=${signature}`);
}

/** Who signed a request: the account key, or a resource token read from a permission. */
export type Caller = { kind: "master" } | { kind: "resource"; claims: ResourceTokenClaims };

/**
 * Throws the service's 401 unless the request is signed with the account key or carries a resource token
 * this account issued and that has not expired; never echoes the key. A resource token is sent as it is,
 * without `x-ms-date` (the SDK sets that only when it signs with a key): what it may do is checked later,
 * against its permission (`handlers/resource-access.ts`).
 */
export function authenticate(
  key: string,
  resourceTokens: ResourceTokens,
  request: SignedRequest,
  now = Date.now(),
): Caller {
  if (!request.authorization) {
    throw errors.unauthorized(
      "Required Header authorization is missing. Ensure a valid Authorization token is passed.",
    );
  }
  const fields = parseAuthorization(request.authorization);
  if (fields.get("type") === "resource") {
    return { kind: "resource", claims: resourceTokens.read(fields.get("sig") ?? "", Math.floor(now / 1000)) };
  }
  verifyMasterSignature(key, request, fields, now);
  return { kind: "master" };
}

function verifyMasterSignature(
  key: string,
  request: SignedRequest,
  fields: Map<string, string>,
  now: number,
): void {
  if (!request.date) {
    throw errors.unauthorized("Required Header x-ms-date is missing.");
  }
  const sentAt = Date.parse(request.date);
  if (Number.isNaN(sentAt) || Math.abs(now - sentAt) > allowedClockSkewMs) {
    throw errors.forbidden(
      `The authorization token is not valid at the current time. Please provide a valid token that is within ${allowedClockSkewMs / 60000} minutes of the server time.`,
      3,
    );
  }
  if (fields.get("type") !== "master") {
    throw errors.unauthorized(
      `The authorization type '${fields.get("type")}' is not supported by cosmos-emulator; sign requests with the account key or a resource token.`,
    );
  }
  const expected = Buffer.from(
    masterKeySignature(key, request.method, request.resourceType, request.resourceLink, request.date),
  );
  const given = Buffer.from(fields.get("sig") ?? "");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw errors.unauthorized(
      `The input authorization token can't serve the request. The wrong key is being used or the expected payload is not built as per the protocol. Server used the following payload to sign: '${request.method.toLowerCase()}\\n${request.resourceType.toLowerCase()}\\n${request.resourceLink}\\n${request.date.toLowerCase()}\\n\\n'`,
    );
  }
}

/** `type=master&ver=1.0&sig=…`; not URLSearchParams, which would turn the signature's `+` into spaces. */
function parseAuthorization(header: string): Map<string, string> {
  const fields = new Map<string, string>();
  let decoded: string;
  try {
    decoded = decodeURIComponent(header);
  } catch {
    throw errors.unauthorized(
      "Authorization header doesn't conform to the required format: it is not valid URL encoding. Please verify and try again.",
    );
  }
  for (const pair of decoded.split("&")) {
    const separator = pair.indexOf("=");
    if (separator > 0) fields.set(pair.slice(0, separator), pair.slice(separator + 1));
  }
  return fields;
}
