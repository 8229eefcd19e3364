import type * as pulumi from "@pulumi/pulumi";
import { diffByTable, type InputDiff } from "./input-diff";
import { isLegacyShape } from "./inputs";
import { kindOf, type ProviderInputs, type ProviderOutputs } from "./kinds";

/** What a change of inputs does to a deployed job, as its kind's table says (see input-diff.ts). */
export function diffInputs(olds: ProviderInputs, news: ProviderInputs): InputDiff {
  return diffByTable(olds, news, kindOf(news));
}

/**
 * The provider's `diff`. Beyond the inputs: a job whose last `up` left it Failed is "changed" so that the
 * next `up` runs `update`, which resumes it; state in the shape older versions stored is rewritten by an
 * update in place.
 */
export function diffResult(olds: ProviderOutputs, news: ProviderInputs): pulumi.dynamic.DiffResult {
  const { changed, replaces } = diffInputs(olds, news);
  return {
    changes: changed.length > 0 || olds.status === "Failed" || isLegacyShape(olds),
    replaces,
    // A replacement that keeps the job name must remove the old job first: names are unique per account.
    deleteBeforeReplace: replaces.length > 0 && !replaces.includes("jobName"),
  };
}
