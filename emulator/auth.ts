import { createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "./errors";

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

/** Throws the service's 401 unless the request is signed with the account key; never echoes the key. */
export function verifySignature(key: string, request: SignedRequest, now = Date.now()): void {
  if (!request.authorization) {
    throw errors.unauthorized(
      "Required Header authorization is missing. Ensure a valid Authorization token is passed.",
    );
  }
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
  const fields = parseAuthorization(request.authorization);
  if (fields.get("type") !== "master") {
    throw errors.unauthorized(
      `The authorization type '${fields.get("type")}' is not supported by cosmos-emulator; sign requests with the account key.`,
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
  for (const pair of decodeURIComponent(header).split("&")) {
    const separator = pair.indexOf("=");
    if (separator > 0) fields.set(pair.slice(0, separator), pair.slice(separator + 1));
  }
  return fields;
}
