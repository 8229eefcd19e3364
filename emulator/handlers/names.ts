import { errors } from "../errors";

/**
 * Characters the service refuses in ids, because they would break name-based links. Item ids may hold `?`
 * (the SDK sends it in the path as it is, and the service keeps the whole path) and may end with a space,
 * as the service stores them (though its gateway then refuses to serve such an item by id: see
 * `gatewaySigningLink`); other ids may not.
 */
const forbiddenInItemIds = /[/\\#]/;
const forbiddenInOtherIds = /[/\\?#]/;
const maxNameLength = 255;
const maxItemIdBytes = 1023;

type ResourceKind = "database" | "container" | "item" | "user" | "permission";

export function validateResourceName(kind: ResourceKind, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw errors.badRequest(`The ${kind} id is missing or not a string: provide a non-empty string "id".`);
  }
  return kind === "item" ? validateItemId(value) : validateOtherId(kind, value);
}

function validateItemId(value: string): string {
  if (forbiddenInItemIds.test(value)) {
    throw errors.badRequest(
      `The input name '${value}' is invalid: Id contains illegal chars. An item id may not contain '/', '\\' or '#'.`,
    );
  }
  if (Buffer.byteLength(value) > maxItemIdBytes) {
    throw errors.badRequest(
      `The item id '${value.slice(0, 40)}…' is too long: at most ${maxItemIdBytes} bytes.`,
    );
  }
  return value;
}

function validateOtherId(kind: Exclude<ResourceKind, "item">, value: string): string {
  if (forbiddenInOtherIds.test(value)) {
    throw errors.badRequest(
      `The input name '${value}' is invalid: Id contains illegal chars. A ${kind} id may not contain '/', '\\', '?' or '#'.`,
    );
  }
  if (value.length > maxNameLength) {
    throw errors.badRequest(
      `The input name '${value}' is invalid: a ${kind} id is at most ${maxNameLength} characters.`,
    );
  }
  if (value.endsWith(" ")) {
    throw errors.badRequest(`The input name '${value}' is invalid: Id ends with a space.`);
  }
  return value;
}
