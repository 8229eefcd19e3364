import { errors } from "../errors";

/** Characters the service refuses in database, container and item ids (they break name-based links). */
const forbiddenCharacters = /[/\\?#]/;
const maxNameLength = 255;

export function validateResourceName(
  kind: "database" | "container" | "item" | "user" | "permission",
  value: unknown,
): string {
  if (typeof value !== "string" || value.length === 0) {
    throw errors.badRequest(`The ${kind} id is missing or not a string: provide a non-empty string "id".`);
  }
  if (forbiddenCharacters.test(value)) {
    throw errors.badRequest(
      `The input name '${value}' is invalid: a ${kind} id may not contain '/', '\\', '?' or '#'.`,
    );
  }
  if (value.length > maxNameLength && kind !== "item") {
    throw errors.badRequest(
      `The input name '${value}' is invalid: a ${kind} id is at most ${maxNameLength} characters.`,
    );
  }
  if (kind === "item" && Buffer.byteLength(value) > 1023) {
    throw errors.badRequest(`The item id '${value.slice(0, 40)}…' is too long: at most 1023 bytes.`);
  }
  if (value.endsWith(" ")) {
    throw errors.badRequest(`The input name '${value}' is invalid: it may not end with a space.`);
  }
  return value;
}
