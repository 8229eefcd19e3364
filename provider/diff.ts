import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import {
  currentShape,
  inputChanges,
  inputDefaults,
  inputPaths,
  isLegacyShape,
  isUnknown,
  propertyOf,
  valueAt,
  type InputPath,
  type JobInputs,
  type JobOutputs,
} from "./inputs";

/**
 * What a change of inputs does to a deployed job, read from the `inputChanges` table. Pure, so every input's
 * effect is unit-tested without an engine.
 */
export interface InputDiff {
  /** Every input whose value differs (or is not known yet, during preview). */
  changed: InputPath[];
  /** The properties whose change names another copy: the job is replaced. */
  replaces: (keyof JobInputs)[];
}

/**
 * Inputs left out arrive as absent or as null, depending on the SDK's path: both mean "not given", which for
 * an input with a default (`inputDefaults`) means that default.
 */
function given(path: InputPath, value: unknown): unknown {
  return value === null || value === undefined ? inputDefaults[path] : value;
}

export function diffInputs(olds: JobInputs, news: JobInputs): InputDiff {
  const before = currentShape(olds);
  const changed = inputPaths.filter((path) => {
    const value = valueAt(news, path);
    return isUnknown(value) || !isDeepStrictEqual(given(path, valueAt(before, path)), given(path, value));
  });
  const replaces = [...new Set(changed.filter((path) => inputChanges[path] === "replace").map(propertyOf))];
  return { changed, replaces };
}

/**
 * The provider's `diff`. Beyond the inputs: a job whose last `up` left it Failed is "changed" so that the
 * next `up` runs `update`, which resumes it; state in the shape older versions stored is rewritten by an
 * update in place.
 */
export function diffResult(olds: JobOutputs, news: JobInputs): pulumi.dynamic.DiffResult {
  const { changed, replaces } = diffInputs(olds, news);
  return {
    changes: changed.length > 0 || olds.status === "Failed" || isLegacyShape(olds),
    replaces,
    // A replacement that keeps the job name must remove the old job first: names are unique per account.
    deleteBeforeReplace: replaces.length > 0 && !replaces.includes("jobName"),
  };
}
