import type { IncomingHttpHeaders } from "node:http";
import { errors } from "./errors";

/** One parsed REST call: the decoded name-based path and what the SDK signed it as. */
export interface CosmosRequest {
  method: string;
  segments: string[];
  resourceType: string;
  resourceLink: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface CosmosResponse {
  status: number;
  /** JSON text; absent for 204 and 304. */
  body?: string;
  headers?: Record<string, string>;
  requestCharge: number;
  /** Bulk operations answered 429 inside an otherwise successful response (never sent on the wire). */
  throttledOperations?: number;
}

/**
 * Name-based paths alternate type and id: an odd number of segments addresses a feed (`dbs/d/colls`), an even
 * number a resource (`dbs/d/colls/c`). The signed link of a feed is its parent; offers sign their id lowercased.
 */
export function classifyPath(segments: string[]): { resourceType: string; resourceLink: string } {
  if (segments.length === 0) return { resourceType: "", resourceLink: "" };
  if (segments[segments.length - 1] === "partitionkeydelete") {
    return { resourceType: "colls", resourceLink: segments.slice(0, 4).join("/") };
  }
  if (segments.length % 2 === 1) {
    return { resourceType: segments[segments.length - 1], resourceLink: segments.slice(0, -1).join("/") };
  }
  const resourceType = segments[segments.length - 2];
  const resourceLink =
    resourceType === "offers" ? segments[segments.length - 1].toLowerCase() : segments.join("/");
  return { resourceType, resourceLink };
}

/**
 * The decoded segments of a request path. The REST API takes no query string, so a `?` belongs to the path:
 * the SDK writes links with `encodeURI`, which leaves the `?` of an item id such as `a?b` as it is.
 */
export function pathSegments(rawPath: string): string[] {
  try {
    return rawPath.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    throw errors.badRequest(`The request path ${rawPath} is not valid URL encoding.`);
  }
}

/**
 * The link the gateway checks a request's signature against. The SDK signs each id as it is; the service's
 * routing gateway (and the official emulator) decodes each path segment once more and drops its trailing
 * whitespace before checking. So an item whose id ends in whitespace or holds a percent escape is stored by
 * a create (signed with its container's link) but answers 401 when read, replaced or deleted by id: the
 * official SDK's itemIdEncoding spec expects exactly that of the routing gateway.
 */
export function gatewaySigningLink(resourceLink: string): string {
  return resourceLink
    .split("/")
    .map((segment) => decodeOnceMore(segment).trimEnd())
    .join("/");
}

function decodeOnceMore(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a lone '%' is just a character of the id
  }
}

/** The partition key range a response speaks for and its log sequence number (LSN) at answer time. */
export interface RangeProgress {
  rangeId: number;
  lsn: number;
}

/**
 * What the service sends with item reads, writes and change-feed pages so clients can keep session
 * consistency: the session token `<range>:<version>#<global LSN>` (one region, so no regional part; the
 * SDK merges tokens per range and throws if their shapes differ), the range's LSN, the LSN of the item
 * itself where there is one, the range's id (`x-ms-documentdb-partitionkeyrangeid`, which tells a client
 * which physical partition served it), and the owner container's `_rid`, without which the SDK files the
 * token nowhere. (Not its name-based link, `x-ms-alt-content-path`: the SDK would file tokens under that name as
 * sent, but look them up under the URL-encoded path it requests, so names with spaces would lose them.)
 */
export function sessionHeaders(
  ownerRid: string,
  range: RangeProgress,
  itemLsn?: number,
): Record<string, string> {
  return {
    "x-ms-session-token": `${range.rangeId}:-1#${range.lsn}`,
    lsn: String(range.lsn),
    "x-ms-global-committed-lsn": String(range.lsn),
    ...(itemLsn === undefined ? {} : { "x-ms-item-lsn": String(itemLsn) }),
    "x-ms-documentdb-partitionkeyrangeid": String(range.rangeId),
    "x-ms-content-path": ownerRid,
  };
}

export function header(request: CosmosRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isTrue(request: CosmosRequest, name: string): boolean {
  return header(request, name)?.toLowerCase() === "true";
}

/**
 * `Prefer: return=minimal` (the SDK's `contentResponseOnWriteEnabled: false`) asks a write to answer
 * without the item; reads answer with it regardless.
 */
export function wantsWrittenContent(request: CosmosRequest): boolean {
  return header(request, "prefer")?.trim().toLowerCase() !== "return=minimal";
}

export function jsonBody<T>(request: CosmosRequest): T {
  try {
    return JSON.parse(request.body.toString("utf8")) as T;
  } catch {
    throw errors.badRequest("The request payload is invalid: it is not valid JSON.");
  }
}

export function json(status: number, body: unknown, requestCharge: number, headers?: Record<string, string>) {
  return { status, body: JSON.stringify(body), requestCharge, headers } satisfies CosmosResponse;
}

/** A feed envelope (`{"_rid","Documents":[…],"_count"}`) around already-serialized resources. */
export function feedBody(ownerRid: string, envelope: string, resources: string[]): string {
  return `{"_rid":${JSON.stringify(ownerRid)},"${envelope}":[${resources.join(",")}],"_count":${resources.length}}`;
}

export function maxItemCount(request: CosmosRequest, fallback: number): number {
  const value = Number(header(request, "x-ms-max-item-count"));
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
