import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { extractPartitionKey, type PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { withoutSystemProperties } from "./documents";
import { CopyJobError } from "./errors";

/**
 * A user's function applied to each source item before it is written to the target: it returns the item to
 * write (fields derived, renamed or dropped, such as a synthetic partition key), or `undefined` to skip the
 * item. It must be deterministic: a page replayed after a crash is transformed again and must write the
 * same bodies. The closing check compares the target with the transformed source.
 */
export type ItemTransform = (item: Record<string, unknown>) => Record<string, unknown> | undefined;

/**
 * Where a job's transform lives: a module file (CommonJS `.js`/`.cjs`, or an ES module `.mjs`) and the name
 * of the function it exports. Closures do not serialise (into a Pulumi dynamic provider, or to a worker
 * process), so a transform is always named this way.
 */
export interface TransformSpec {
  /** The module's path; a relative one is resolved against the current directory. */
  module: string;
  /** The export to call (default `transform`); `default` is an ES module's default export, or a CommonJS `module.exports`. */
  exportName?: string;
}

/** A transform as a job records it at create: what a worker loads, and the file's hash it must still have. */
export interface TransformRecord {
  /** The module's absolute path. */
  module: string;
  exportName: string;
  /** SHA-256 (hex) of the module file when the job was created. */
  sha256: string;
}

export const defaultTransformExport = "transform";

function invalid(message: string, fix: string): CopyJobError {
  return new CopyJobError("InvalidTransform", message, fix, { field: "transform" });
}

function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// TypeScript compiles `import()` to `require()` under "module": "commonjs"; an ES module needs the real one.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, unknown>>;

/**
 * The module's exports, evaluated from the file as it is now: a long-lived worker may run several jobs
 * whose module was edited in between, so no cached copy of an older version is used. An ES module is
 * imported under its hash (one instance per content); a CommonJS one is dropped from `require`'s cache
 * first. Only the file itself is loaded afresh, not the modules it requires.
 */
async function exportsOf(file: string, sha256: string): Promise<Record<string, unknown>> {
  if (file.endsWith(".mjs")) return importModule(`${pathToFileURL(file).href}?sha256=${sha256}`);
  const load = createRequire(file);
  delete load.cache[file];
  const exported: unknown = load(file);
  // `default` names the CommonJS module.exports itself, as `import` of it does.
  return typeof exported === "object" && exported !== null
    ? { default: exported, ...(exported as Record<string, unknown>) }
    : { default: exported };
}

/** The transform's function, or an error naming the module and export that are wrong. */
async function functionOf(record: TransformRecord): Promise<ItemTransform> {
  let exported: Record<string, unknown>;
  try {
    exported = await exportsOf(record.module, record.sha256);
  } catch (error) {
    throw invalid(
      `The transform module '${record.module}' failed to load: ${error instanceof Error ? error.message : String(error)}.`,
      "Fix the module so that Node can load it (CommonJS .js/.cjs, or an ES module .mjs without top-level await).",
    );
  }
  const fn = exported[record.exportName];
  if (typeof fn !== "function") {
    const names = Object.keys(exported).filter((name) => typeof exported[name] === "function");
    throw invalid(
      `The transform module '${record.module}' has no function export '${record.exportName}' (${fn === undefined ? "no such export" : `it is ${typeof fn}`}; function exports: ${names.length > 0 ? names.join(", ") : "none"}).`,
      `Export a function (item) => item | undefined named '${record.exportName}', or name the export to use (default '${defaultTransformExport}').`,
    );
  }
  return fn as ItemTransform;
}

/**
 * A job spec's transform, checked as `create` and `plan` check it: the path (resolved against `cwd`) names a
 * file that loads and exports a function under `exportName`. Returns what the job records; throws an
 * `InvalidTransform` error on the `transform` field, naming the path or export and the fix.
 */
export async function resolveTransform(spec: TransformSpec, cwd = process.cwd()): Promise<TransformRecord> {
  if (typeof spec?.module !== "string" || spec.module.trim() === "") {
    throw invalid(
      `transform.module ${JSON.stringify(spec?.module)} is not valid.`,
      "Give the path of a JavaScript module that exports the transform function.",
    );
  }
  const exportName = spec.exportName ?? defaultTransformExport;
  if (typeof exportName !== "string" || exportName === "") {
    throw invalid(
      `transform.exportName ${JSON.stringify(spec.exportName)} is not valid.`,
      `Give the name of the module's export to call, or leave it out for '${defaultTransformExport}'.`,
    );
  }
  const module = path.resolve(cwd, spec.module);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(module);
  } catch (error) {
    throw invalid(
      `The transform module '${module}' cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      `Check the path (a relative path is resolved against ${cwd}).`,
    );
  }
  const record = { module, exportName, sha256: sha256Of(bytes) };
  await functionOf(record);
  return record;
}

/**
 * The function of a job's transform, for a worker about to run it. Refused if the file is not the one the
 * job was created with: pages replayed after a crash, or copied by another worker, must be transformed the
 * same way, or the target would mix two transforms' bodies.
 */
export async function loadTransform(record: TransformRecord, jobName: string): Promise<ItemTransform> {
  let now: string;
  try {
    now = sha256Of(fs.readFileSync(record.module));
  } catch (error) {
    now = `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  if (now !== record.sha256) {
    throw new CopyJobError(
      "TransformChanged",
      `The transform module '${record.module}' of job '${jobName}' is not the file the job was created with (sha256 then ${record.sha256}, now ${now}); running it would write bodies unlike those already copied.`,
      `Put the file back as it was and resume the job, or delete the job and create it again with the new transform (into an empty target).`,
      { field: "transform" },
    );
  }
  return functionOf(record);
}

/** A job's transform as its items go through it: loaded (see `loadTransform`) and guarded (`guardTransform`). */
export async function runnableTransform(
  record: TransformRecord,
  jobName: string,
  sourceKey: PartitionKeyDefinition | undefined,
): Promise<ItemTransform> {
  return guardTransform(await loadTransform(record, jobName), sourceKey as PartitionKeyDefinition);
}

function isItem(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Promise) return "a Promise (the transform must be synchronous)";
  if (isItem(value)) return `an object whose id is ${JSON.stringify(value.id) ?? "missing"}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * `transform` made safe to run on a job's items: a throw, or a result that is neither undefined (skip) nor
 * an object with a string `id`, becomes a `TransformFailed` error naming the item by its id and its source
 * partition key (`sourceKey`), which fails the job.
 */
export function guardTransform(transform: ItemTransform, sourceKey: PartitionKeyDefinition): ItemTransform {
  const failure = (item: Record<string, unknown>, what: string) =>
    new CopyJobError(
      "TransformFailed",
      `The transform ${what} for the item with id ${JSON.stringify(item.id)} and source partition key ${JSON.stringify(extractPartitionKey(sourceKey, item))}.`,
      "Fix the transform so that it returns the item to write (an object with a string id) or undefined to skip it. A job runs its module file as it was at create: delete a failed job and create it again.",
      { field: "transform" },
    );
  return (item) => {
    let result: unknown;
    try {
      // A copy: the item the transform saw stays as read, whatever the transform does to its argument.
      result = transform(structuredClone(item));
    } catch (error) {
      throw failure(item, `threw '${error instanceof Error ? error.message : String(error)}'`);
    }
    if (result === undefined) return undefined;
    if (!isItem(result) || typeof result.id !== "string" || result.id === "") {
      throw failure(item, `returned ${shapeOf(result)}`);
    }
    return result;
  };
}

/** An item as the target gets it: system properties stripped, then transformed (undefined: skipped). */
export function targetDocument(
  item: Record<string, unknown>,
  transform: ItemTransform | undefined,
): Record<string, unknown> | undefined {
  const stripped = withoutSystemProperties(item);
  return transform ? transform(stripped) : stripped;
}

/** Items as the target gets them (see `targetDocument`); skipped ones left out. */
export function transformAll(
  items: readonly Record<string, unknown>[],
  transform: ItemTransform | undefined,
): Record<string, unknown>[] {
  return items.flatMap((item): Record<string, unknown>[] => {
    const document = targetDocument(item, transform);
    return document ? [document] : [];
  });
}
