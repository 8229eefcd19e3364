import { errors } from "../errors";
import type { ContainerDefinition } from "../store/store";
import { validateDefaultTtl } from "./time-to-live";
import { validateChangeFeedPolicy } from "./version-log";

/**
 * What the service checks in a container definition, and the defaults it fills in when returning one:
 * partition-key paths, indexing policy, geospatial configuration, TTL and the change feed policy.
 */

const maxHierarchicalLevels = 3;
/** A segment of a path, unless quoted (`/"a b"`), may not hold these: wildcards, brackets, quotes, blanks. */
const invalidSegmentCharacter = /[\s*?[\]"'\\]/;
const geospatialTypes = ["Geography", "Geometry"];
const indexingModes = ["consistent", "lazy", "none"];
const etagPath = '/"_etag"/?';

function refusePath(path: string, position: number, reason: string): never {
  throw errors.badRequest(
    `The partition key component definition path '${path}' could not be accepted, failed near position ${position}. ${reason}`,
  );
}

/** Where in `segment` (one step of a path) the first invalid character is, or -1 if there is none. */
function invalidCharacterAt(segment: string): number {
  if (segment.length === 0) return 0;
  if (segment.length >= 2 && segment.startsWith('"') && segment.endsWith('"')) {
    // A quoted segment may hold anything but an unescaped quote.
    const quote = segment.slice(1, -1).search(/(?<!\\)"/);
    return quote < 0 ? -1 : quote + 1;
  }
  return segment.search(invalidSegmentCharacter);
}

/** Refuses a path that does not start with '/' or has an empty segment or an invalid character. */
function validatePartitionKeyPath(path: string): void {
  if (!path.startsWith("/")) refusePath(path, 0, "Partition key paths must start with '/'.");
  let position = 1;
  for (const segment of path.slice(1).split("/")) {
    const invalid = invalidCharacterAt(segment);
    if (invalid >= 0) {
      refusePath(
        path,
        position + invalid,
        "Partition key paths must contain only valid characters and not contain a trailing slash or wildcard character.",
      );
    }
    position += segment.length + 1;
  }
}

/** Kind Hash (one path) or MultiHash (version 2, up to three paths); version 1 or 2; valid paths. */
export function validatePartitionKey(definition: ContainerDefinition): ContainerDefinition["partitionKey"] {
  const partitionKey = definition.partitionKey ?? { paths: ["/_partitionKey"], kind: "Hash" };
  const kind = partitionKey.kind ?? "Hash";
  const paths: unknown = partitionKey.paths;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === "string")) {
    throw errors.badRequest(
      `The partition key definition ${JSON.stringify(partitionKey)} is invalid: "paths" must list paths that start with '/'.`,
    );
  }
  if (kind !== "Hash" && kind !== "MultiHash") {
    throw errors.badRequest(`Partition key kind '${kind}' is not supported: use Hash or MultiHash.`);
  }
  if (partitionKey.version !== undefined && partitionKey.version !== 1 && partitionKey.version !== 2) {
    throw errors.badRequest(
      `Partition key version ${JSON.stringify(partitionKey.version)} is not supported: use 1 or 2.`,
    );
  }
  if (kind === "Hash" && paths.length !== 1) {
    throw errors.badRequest(
      `A partition key of kind Hash has exactly one path, got ${paths.length}: use kind MultiHash for hierarchical keys.`,
    );
  }
  if (kind === "MultiHash" && (paths.length > maxHierarchicalLevels || partitionKey.version !== 2)) {
    throw errors.badRequest(
      `A hierarchical (MultiHash) partition key needs version 2 and at most ${maxHierarchicalLevels} paths, got version ${JSON.stringify(partitionKey.version)} and ${paths.length} paths.`,
    );
  }
  paths.forEach(validatePartitionKeyPath);
  return { ...partitionKey, kind };
}

function validateIndexingPolicy(policy: unknown): void {
  if (policy === undefined) return;
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    throw errors.badRequest(
      `The indexing policy ${JSON.stringify(policy)} is invalid: it must be an object.`,
    );
  }
  const mode = (policy as { indexingMode?: unknown }).indexingMode;
  if (mode !== undefined && !(typeof mode === "string" && indexingModes.includes(mode.toLowerCase()))) {
    throw errors.badRequest(
      `The indexing mode ${JSON.stringify(mode)} is invalid: use one of ${indexingModes.join(", ")}.`,
    );
  }
}

function validateGeospatialConfig(config: unknown): void {
  if (config === undefined) return;
  const type =
    typeof config === "object" && config !== null ? (config as { type?: unknown }).type : undefined;
  if (typeof type !== "string" || !geospatialTypes.includes(type)) {
    throw errors.badRequest(
      `The geospatial configuration ${JSON.stringify(config)} is invalid: its type must be Geography or Geometry.`,
    );
  }
}

/**
 * Vector search is an account capability (`EnableNoSQLVectorSearch`) the emulator's account does not
 * have: the service refuses a container that asks for it, in these words, rather than ignore the policy.
 */
function refuseVectorSearch(definition: ContainerDefinition): void {
  const vectorIndexes = (definition.indexingPolicy as { vectorIndexes?: unknown[] } | undefined)
    ?.vectorIndexes;
  if (definition.vectorEmbeddingPolicy !== undefined || (vectorIndexes?.length ?? 0) > 0) {
    throw errors.badRequest(
      "A Container Vector Policy has been provided, but the capability has not been enabled on your account.",
    );
  }
}

/** Everything but the partition key, which create and replace check differently. */
export function validateContainerSettings(definition: ContainerDefinition): void {
  refuseVectorSearch(definition);
  validateIndexingPolicy(definition.indexingPolicy);
  validateGeospatialConfig(definition.geospatialConfig);
  validateDefaultTtl(definition);
  validateChangeFeedPolicy(definition);
}

interface IndexingPolicy {
  indexingMode?: string;
  automatic?: boolean;
  includedPaths?: { path: string }[];
  excludedPaths?: { path: string }[];
  [other: string]: unknown;
}

/**
 * The indexing policy as the service returns it: mode in lower case, `automatic` true, the root included
 * unless paths are given, and `_etag` always excluded; a policy with mode none indexes no path.
 */
export function indexingPolicyWithDefaults(given: unknown): IndexingPolicy {
  const policy = (given ?? {}) as IndexingPolicy;
  const indexingMode = (policy.indexingMode ?? "consistent").toLowerCase();
  if (indexingMode === "none") {
    return {
      ...policy,
      indexingMode,
      automatic: policy.automatic ?? false,
      includedPaths: [],
      excludedPaths: [],
    };
  }
  const excludedPaths = policy.excludedPaths ?? [];
  return {
    ...policy,
    indexingMode,
    automatic: policy.automatic ?? true,
    includedPaths: policy.includedPaths ?? [{ path: "/*" }],
    excludedPaths: excludedPaths.some((p) => p.path === etagPath)
      ? excludedPaths
      : [...excludedPaths, { path: etagPath }],
  };
}

/** The definition as the service returns it: defaults filled in. */
export function definitionWithDefaults(definition: ContainerDefinition): ContainerDefinition {
  return {
    ...definition,
    indexingPolicy: indexingPolicyWithDefaults(definition.indexingPolicy),
    geospatialConfig: definition.geospatialConfig ?? { type: "Geography" },
  };
}
