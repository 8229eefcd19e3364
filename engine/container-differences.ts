import type { ContainerDefinition, IndexingPolicy } from "@azure/cosmos";

/**
 * Settings a copy does not carry over, compared between the source and the target container: the target's
 * own settings apply to every item written, so a difference changes how the copied data behaves (items
 * that expire, or stop expiring; queries that need an index; constraints no longer enforced). Each one is a
 * sentence naming both values and what to do; none stops a copy, since a new container may differ on
 * purpose.
 */
export function containerDifferences(source: ContainerDefinition, target: ContainerDefinition): string[] {
  return [
    ...ttlDifferences(source, target),
    ...indexingDifferences(source, target),
    ...uniqueKeyDifferences(source, target),
  ];
}

/** `defaultTtl` as people read it: absent is off, -1 is on with no default, N is N seconds. */
function describeTtl(defaultTtl: number | undefined): string {
  if (defaultTtl === undefined || defaultTtl === null) return "off";
  return defaultTtl === -1 ? "on, items without a ttl never expire (-1)" : `${defaultTtl} s`;
}

function ttlDifferences(source: ContainerDefinition, target: ContainerDefinition): string[] {
  if ((source.defaultTtl ?? null) === (target.defaultTtl ?? null)) return [];
  const consequence =
    target.defaultTtl === undefined || target.defaultTtl === null
      ? "items copied into it never expire, and their own ttl fields are ignored"
      : source.defaultTtl === undefined || source.defaultTtl === null
        ? "items copied into it start to expire"
        : "items copied into it expire on the target's schedule";
  return [
    `Time to live differs: the source's defaultTtl is ${describeTtl(source.defaultTtl)}, the target's is ${describeTtl(target.defaultTtl)}, so ${consequence}. Set the target's defaultTtl to ${source.defaultTtl ?? "nothing (off)"} to keep the source's behaviour (expiry clocks restart at the copy either way: each item's _ts is the time it was written).`,
  ];
}

function pathsOf(paths: { path: string }[] | undefined): string[] {
  return (paths ?? []).map((entry) => entry.path).sort();
}

function listed(values: string[]): string {
  return values.length === 0 ? "none" : values.join(", ");
}

/** The fields of an indexing policy that decide which queries it serves, in a form equal for equal policies. */
function indexingShape(policy: IndexingPolicy | undefined) {
  return {
    indexingMode: policy?.indexingMode ?? "consistent",
    // The service includes every path ("/*") unless told otherwise.
    includedPaths: policy?.includedPaths?.length ? pathsOf(policy.includedPaths) : ["/*"],
    excludedPaths: pathsOf(policy?.excludedPaths).filter((path) => path !== '/"_etag"/?'),
    compositeIndexes: (policy?.compositeIndexes ?? [])
      .map((index) => index.map((part) => `${part.path} ${part.order ?? "ascending"}`).join(" + "))
      .sort(),
    spatialIndexes: pathsOf(policy?.spatialIndexes),
  };
}

function indexingDifferences(source: ContainerDefinition, target: ContainerDefinition): string[] {
  const from = indexingShape(source.indexingPolicy);
  const to = indexingShape(target.indexingPolicy);
  const differences: string[] = [];
  if (from.indexingMode !== to.indexingMode) {
    differences.push(`indexingMode ${from.indexingMode} → ${to.indexingMode}`);
  }
  for (const field of ["includedPaths", "excludedPaths", "compositeIndexes", "spatialIndexes"] as const) {
    if (from[field].join("\n") !== to[field].join("\n")) {
      differences.push(`${field} [${listed(from[field])}] → [${listed(to[field])}]`);
    }
  }
  if (differences.length === 0) return [];
  return [
    `Indexing policy differs (source → target): ${differences.join("; ")}. Queries the source serves may cost more or be refused on the target: give the target the source's indexing policy unless the change is intended.`,
  ];
}

function uniqueKeysOf(definition: ContainerDefinition): string[] {
  return (definition.uniqueKeyPolicy?.uniqueKeys ?? [])
    .map((key) => `(${[...key.paths].sort().join(", ")})`)
    .sort();
}

function uniqueKeyDifferences(source: ContainerDefinition, target: ContainerDefinition): string[] {
  const from = uniqueKeysOf(source);
  const to = uniqueKeysOf(target);
  const dropped = from.filter((key) => !to.includes(key));
  const added = to.filter((key) => !from.includes(key));
  const differences: string[] = [];
  if (dropped.length > 0) {
    differences.push(
      `Unique keys ${dropped.join(", ")} of the source are not on the target: it will not enforce them (unique keys can only be set when a container is created).`,
    );
  }
  if (added.length > 0) {
    differences.push(
      `The target enforces unique keys ${added.join(", ")} that the source does not, within each logical partition of its own key: items that break them fail the copy (the analysis checks the source's items against them).`,
    );
  }
  return differences;
}
