import { CopyJobError } from "./errors";
import { defaultCopyOptions, type ContainerRef, type CopyOptions, type JobSpec } from "./types";

/**
 * Every check a job spec gets before anything touches an account. The Pulumi provider's `check`, the CLI and
 * the engine all call this one function, so they refuse the same inputs with the same words.
 */
const forbiddenNameCharacters = /[/\\?#]/;
const jobNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const optionLimits = {
  pageSize: { min: 1, max: 10000 },
  workerCount: { min: 1, max: 16 },
} as const;

export interface ValidationProblem {
  /** The input that is wrong, as a dotted path (`destination.container`). */
  field: string;
  message: string;
}

export function validateResourceName(field: string, value: unknown): ValidationProblem | undefined {
  if (typeof value !== "string" || value.length === 0) {
    return { field, message: `${field} is required: give the Cosmos DB name as a non-empty string.` };
  }
  if (forbiddenNameCharacters.test(value)) {
    return {
      field,
      message: `${field} '${value}' is not a valid Cosmos DB name: it may not contain '/', '\\', '?' or '#'.`,
    };
  }
  if (value.length > 255)
    return { field, message: `${field} '${value.slice(0, 30)}…' is longer than 255 characters.` };
  if (value !== value.trim()) {
    return { field, message: `${field} '${value}' has leading or trailing spaces: remove them.` };
  }
  return undefined;
}

export function validateJobName(value: unknown): ValidationProblem | undefined {
  if (typeof value !== "string" || !jobNamePattern.test(value)) {
    return {
      field: "name",
      message: `Job name '${String(value)}' is not valid: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    };
  }
  return undefined;
}

function validateContainerRef(field: string, value: ContainerRef | undefined): ValidationProblem[] {
  if (!value || typeof value !== "object") {
    return [{ field, message: `${field} is required: give { database, container }.` }];
  }
  return [
    validateResourceName(`${field}.database`, value.database),
    validateResourceName(`${field}.container`, value.container),
  ].filter((p): p is ValidationProblem => p !== undefined);
}

function validateOption(field: keyof typeof optionLimits, value: unknown): ValidationProblem | undefined {
  if (value === undefined) return undefined;
  const { min, max } = optionLimits[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return {
      field,
      message: `${field} ${JSON.stringify(value)} is not valid: use a whole number from ${min} to ${max}.`,
    };
  }
  return undefined;
}

export function jobSpecProblems(spec: JobSpec): ValidationProblem[] {
  const problems = [
    validateJobName(spec.name),
    ...validateContainerRef("source", spec.source),
    ...validateContainerRef("destination", spec.destination),
    validateOption("pageSize", spec.options?.pageSize),
    validateOption("workerCount", spec.options?.workerCount),
  ].filter((p): p is ValidationProblem => p !== undefined);
  if (
    problems.length === 0 &&
    spec.source.database === spec.destination.database &&
    spec.source.container === spec.destination.container
  ) {
    problems.push({
      field: "destination",
      message: `The destination is the source container '${spec.source.database}/${spec.source.container}': copy into a new container instead.`,
    });
  }
  return problems;
}

/** Throws one error listing every problem; returns the spec with defaults filled in. */
export function validateJobSpec(spec: JobSpec): Required<JobSpec> & { options: CopyOptions } {
  const problems = jobSpecProblems(spec);
  if (problems.length > 0) {
    throw new CopyJobError("InvalidJobSpec", problems.map((p) => p.message).join(" "));
  }
  return { ...spec, options: { ...defaultCopyOptions, ...spec.options } };
}
