import { errors } from "../errors";

/** One partial-update operation as the SDK sends it (JSON-pointer paths). */
export interface PatchOperation {
  op: "add" | "set" | "replace" | "remove" | "incr" | "move";
  path: string;
  value?: unknown;
  from?: string;
}

type Container = Record<string, unknown> | unknown[];

function pointer(path: string): string[] {
  if (!path.startsWith("/"))
    throw errors.badRequest(`Patch path '${path}' is invalid: it must start with '/'.`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The object or array holding the last segment of `path`, which must exist. */
function parentOf(document: Record<string, unknown>, path: string): { parent: Container; key: string } {
  const segments = pointer(path);
  let node: unknown = document;
  for (const segment of segments.slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[segment];
    if (typeof node !== "object" || node === null) {
      throw errors.badRequest(`Patch path '${path}' does not exist in the item.`);
    }
  }
  return { parent: node as Container, key: segments[segments.length - 1] };
}

function get(parent: Container, key: string): unknown {
  return Array.isArray(parent) ? parent[Number(key)] : parent[key];
}

function remove(parent: Container, key: string, path: string): unknown {
  const value = get(parent, key);
  if (value === undefined) throw errors.badRequest(`Patch path '${path}' does not exist in the item.`);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return value;
}

function put(parent: Container, key: string, value: unknown, insert: boolean): void {
  if (!Array.isArray(parent)) parent[key] = value;
  else if (key === "-") parent.push(value);
  else if (insert) parent.splice(Number(key), 0, value);
  else parent[Number(key)] = value;
}

export function applyPatch(
  document: Record<string, unknown>,
  operations: PatchOperation[],
): Record<string, unknown> {
  const result = structuredClone(document);
  for (const operation of operations) {
    const { parent, key } = parentOf(result, operation.path);
    switch (operation.op) {
      case "add":
        put(parent, key, operation.value, true);
        break;
      case "set":
        put(parent, key, operation.value, false);
        break;
      case "replace":
        if (get(parent, key) === undefined) {
          throw errors.badRequest(`Patch path '${operation.path}' does not exist in the item.`);
        }
        put(parent, key, operation.value, false);
        break;
      case "remove":
        remove(parent, key, operation.path);
        break;
      case "incr": {
        const current = get(parent, key) ?? 0;
        if (typeof current !== "number" || typeof operation.value !== "number") {
          throw errors.badRequest(`Patch 'incr' at '${operation.path}' needs numbers.`);
        }
        put(parent, key, current + operation.value, false);
        break;
      }
      case "move": {
        const source = parentOf(result, operation.from ?? "");
        put(parent, key, remove(source.parent, source.key, operation.from ?? ""), false);
        break;
      }
      default:
        throw errors.badRequest(`Patch operation '${(operation as { op: string }).op}' is not supported.`);
    }
  }
  return result;
}
