import { createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "./errors";

/** What a resource token carries: the permission it was read from, that version of it, and its expiry. */
export interface ResourceTokenClaims {
  permissionRid: string;
  /** A replace gives the permission a new etag, so tokens read before it stop working. */
  permissionEtag: string;
  /** Seconds since the epoch, like `_ts`. */
  issuedAt: number;
  expiresAt: number;
}

const tokenPrefix = "type=resource&ver=1.0&sig=";

const base64url = (bytes: Buffer) => bytes.toString("base64url");

/**
 * Mints and checks resource tokens: `type=resource&ver=1.0&sig=<claims>;<mac>`, the claims as base64url
 * JSON and the mac an HMAC-SHA256 of them under a key derived from the account key. A client can read its
 * claims but cannot change them, and nothing in a token reveals the account key.
 */
export class ResourceTokens {
  private readonly signingKey: Buffer;

  constructor(accountKey: string) {
    this.signingKey = createHmac("sha256", Buffer.from(accountKey, "base64"))
      .update("cosmos-emulator resource tokens")
      .digest();
  }

  issue(claims: ResourceTokenClaims): string {
    const payload = base64url(
      Buffer.from(
        JSON.stringify({
          p: claims.permissionRid,
          e: claims.permissionEtag,
          i: claims.issuedAt,
          x: claims.expiresAt,
        }),
      ),
    );
    return `${tokenPrefix}${payload};${this.mac(payload)}`;
  }

  /** The claims of a token's `sig` field; 401 if it was not minted here, is malformed or has expired. */
  read(signature: string, nowSeconds: number): ResourceTokenClaims {
    const [payload, mac, ...rest] = signature.split(";");
    const given = Buffer.from(mac ?? "");
    const expected = Buffer.from(this.mac(payload));
    if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw errors.unauthorized(
        "The input authorization token can't serve the request: the resource token is malformed or was not issued by this account. Read the permission again for a valid token.",
      );
    }
    const claims = parseClaims(payload);
    if (nowSeconds >= claims.expiresAt) {
      const time = (seconds: number) => new Date(seconds * 1000).toUTCString();
      throw errors.unauthorized(
        `The authorization token is not valid at the current time. Please create another token and retry (token start time: ${time(claims.issuedAt)}, token expiry time: ${time(claims.expiresAt)}, current server time: ${time(nowSeconds)}).`,
      );
    }
    return claims;
  }

  private mac(payload: string): string {
    return base64url(createHmac("sha256", this.signingKey).update(payload).digest());
  }
}

/** Only ever called on a payload whose mac matched, so its shape is ours; checked anyway, never trusted. */
function parseClaims(payload: string): ResourceTokenClaims {
  const raw = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  const { p, e, i, x } = raw;
  if (typeof p !== "string" || typeof e !== "string" || typeof i !== "number" || typeof x !== "number") {
    throw errors.unauthorized("The resource token's claims are not in the expected shape.");
  }
  return { permissionRid: p, permissionEtag: e, issuedAt: i, expiresAt: x };
}
