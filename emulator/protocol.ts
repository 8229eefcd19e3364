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

export function header(request: CosmosRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isTrue(request: CosmosRequest, name: string): boolean {
  return header(request, name)?.toLowerCase() === "true";
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
