import type { DifferenceCount, Differences, JobMode, Verification } from "./types";

/**
 * The failure message of a closing check that did not match: what the check counted, then, when both sides
 * could be read again, what differs item by item. It states facts and guesses no cause; the one hint it
 * gives follows from them. Its length is bounded whatever the ids: a few of each kind are named, each cut
 * short, and the rest are in `verification.differences`.
 */
const namedPerKind = 5;
const longestShown = 40;

function shortened(text: string): string {
  return text.length > longestShown ? `${text.slice(0, longestShown - 1)}…` : text;
}

function named({ id, partitionKey }: { id: string; partitionKey: unknown }): string {
  const key = partitionKey === undefined ? "none" : JSON.stringify(partitionKey);
  return `'${shortened(id)}' [pk ${shortened(key)}]`;
}

/** "3 items ('a' [pk "x"], 'b' [pk "y"] and 1 more)", the noun in the singular or the plural. */
function plural(kind: DifferenceCount, one: string, several: string): string {
  return kind.count === 1 ? one : several;
}

function some(kind: DifferenceCount, noun: [string, string]): string {
  const shown = kind.sample.slice(0, namedPerKind).map(named);
  const more = kind.count - shown.length;
  return `${kind.count} ${plural(kind, ...noun)} (${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""})`;
}

function differencesSentence(differences: Differences): string {
  const { missing, extra, changed, collisions } = differences;
  const facts = [
    missing.count > 0 ? `the target lacks ${some(missing, ["item", "items"])}` : "",
    extra.count > 0 ? `holds ${some(extra, ["item", "items"])} it should not` : "",
    changed.count > 0
      ? `${some(changed, ["item", "items"])} ${plural(changed, "differs", "differ")} in body`
      : "",
    collisions.count > 0
      ? `${some(collisions, ["target key", "target keys"])} ${plural(collisions, "receives", "each receive")} several source items`
      : "",
  ].filter((fact) => fact !== "");
  const cost = `(${differences.requestCharge} RU)`;
  if (facts.length === 0) {
    return ` Reading both sides again ${cost} found the target equal to the source as it is now.`;
  }
  const hint =
    collisions.count > 0
      ? " Source items under different partition keys share an id and the same value of the target's partition key, so the target can keep only one of each: make ids unique per target key (or choose another target partition key)."
      : "";
  return ` Reading both sides ${cost}: ${facts.join("; ")}.${hint}`;
}

/** What the check counted, in the words of its mode, and what differs when that is known. */
export function mismatchMessage(verification: Verification, mode: JobMode): string {
  const { sourceCount, copiedCount, targetCount, sourceChecksum, targetChecksum } = verification;
  const full = verification.mode === "full";
  // An online check compares the two sides as they are: what the first pass read is no part of it.
  const source = `the source has ${sourceCount} items${full && mode === "Online" ? ` (checksum ${sourceChecksum})` : ""}`;
  const read =
    mode === "Online" ? "" : `, the copy read ${copiedCount}${full ? ` (checksum ${sourceChecksum})` : ""}`;
  const counts = `${source}${read}, the target has ${targetCount}${full ? ` (checksum ${targetChecksum})` : ""}`;
  const sample = verification.sampleMismatches?.length
    ? `; of ${verification.sampledItems} sampled items the target lacks or differs on ${verification.sampleMismatches.map((id) => `'${shortened(id)}'`).join(", ")}`
    : "";
  const differences = verification.differences ? differencesSentence(verification.differences) : "";
  return `The target does not match the source after the copy: ${counts}${sample}.${differences}`;
}
