import { CopyJobError } from "./errors";
import { recordedSourceAccount } from "./source-account";
import {
  defaultCopyOptions,
  type AccountConnection,
  type ContainerRef,
  type CopyOptions,
  type JobMode,
  type JobSpec,
  type ThroughputLimit,
  jobModes,
  verificationModes,
} from "./types";

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

/** A throughput cap: at least the smallest rate a container can have a tenth of; at most the service's. */
export const throughputLimitBounds = {
  requestUnitsPerSecond: { min: 10, max: 1_000_000 },
  percentOfProvisioned: { min: 1, max: 100 },
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

export function validateOption(
  field: keyof typeof optionLimits,
  value: unknown,
): ValidationProblem | undefined {
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

function validateThroughputLimit(
  field: "targetThroughputLimit" | "sourceThroughputLimit",
  value: unknown,
): ValidationProblem | undefined {
  if (value === undefined) return undefined;
  const keys = value && typeof value === "object" ? Object.keys(value) : [];
  const [key] = keys;
  const bounds = throughputLimitBounds[key as keyof typeof throughputLimitBounds];
  const amount = (value as Record<string, unknown> | null)?.[key];
  if (keys.length !== 1 || !bounds) {
    return {
      field,
      message: `${field} ${JSON.stringify(value)} is not valid: give { requestUnitsPerSecond: N } or { percentOfProvisioned: P }.`,
    };
  }
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount < bounds.min || amount > bounds.max) {
    return {
      field,
      message: `${field}.${key} ${JSON.stringify(amount)} is not valid: use a number from ${bounds.min} to ${bounds.max}.`,
    };
  }
  return undefined;
}

/** A value that must be one of `allowed` when given. */
function validateChoice(
  field: string,
  allowed: readonly string[],
  value: unknown,
): ValidationProblem | undefined {
  if (value === undefined || allowed.includes(value as never)) return undefined;
  return {
    field,
    message: `${field} ${JSON.stringify(value)} is not valid: use ${allowed.map((m) => `"${m}"`).join(" or ")}.`,
  };
}

/**
 * A cap as people type it: `1500` (RU/s) or `25%` (of the container's provisioned throughput). Throws a
 * message that names the text and both forms.
 */
export function parseThroughputLimit(text: string): ThroughputLimit {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!match) {
    throw new CopyJobError(
      "InvalidJobSpec",
      `Throughput limit '${text}' is not valid: give RU/s (e.g. 1500) or a share of provisioned throughput (e.g. 25%).`,
    );
  }
  return match[2] ? { percentOfProvisioned: Number(match[1]) } : { requestUnitsPerSecond: Number(match[1]) };
}

/**
 * A spec as validation sees it: of the source account, only its endpoint is looked at (the key is the
 * connection's to check), so a job record, which keeps the endpoint only, is checked as its spec was.
 */
export type SpecShape = Omit<JobSpec, "sourceAccount"> & {
  sourceAccount?: Pick<AccountConnection, "endpoint">;
};

/** A spec that passed, with the defaults filled in. */
export type ValidSpec<T> = T & { mode: JobMode; options: CopyOptions };

function validateSourceAccount(value: SpecShape["sourceAccount"]): ValidationProblem | undefined {
  if (value === undefined) return undefined;
  const endpoint = value && typeof value === "object" ? value.endpoint : undefined;
  if (typeof endpoint === "string" && URL.canParse(endpoint)) return undefined;
  return {
    field: "sourceAccount.endpoint",
    message: `sourceAccount.endpoint ${JSON.stringify(endpoint)} is not valid: give the source account's URI, e.g. https://otheraccount.documents.azure.com:443/ (leave sourceAccount out for a source in the job's own account).`,
  };
}

/** Whether the source is in the job's own account (`ownEndpoint`, when known) rather than another. */
function inOwnAccount(spec: SpecShape, ownEndpoint: string | undefined): boolean {
  if (!spec.sourceAccount) return true;
  if (ownEndpoint === undefined || !URL.canParse(ownEndpoint)) return false;
  return recordedSourceAccount(spec.sourceAccount, ownEndpoint) === undefined;
}

/** The problems of everything but the destination: the name, the source and the options. */
function sourceSideProblems(spec: Omit<SpecShape, "destination">): ValidationProblem[] {
  return [
    validateJobName(spec.name),
    ...validateContainerRef("source", spec.source),
    validateSourceAccount(spec.sourceAccount),
    validateOption("pageSize", spec.options?.pageSize),
    validateOption("workerCount", spec.options?.workerCount),
    validateThroughputLimit("targetThroughputLimit", spec.options?.targetThroughputLimit),
    validateThroughputLimit("sourceThroughputLimit", spec.options?.sourceThroughputLimit),
    validateChoice("mode", jobModes, spec.mode),
    validateChoice("verificationMode", verificationModes, spec.options?.verificationMode),
  ].filter((p): p is ValidationProblem => p !== undefined);
}

/**
 * Every problem of a spec. `ownEndpoint`: the account the job is created in, when known; a source in another
 * account may have the destination's names (a source account with the same endpoint is this account).
 */
export function jobSpecProblems(spec: SpecShape, ownEndpoint?: string): ValidationProblem[] {
  const problems = [...sourceSideProblems(spec), ...validateContainerRef("destination", spec.destination)];
  if (
    problems.length === 0 &&
    inOwnAccount(spec, ownEndpoint) &&
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

/** Throws one error listing every problem. */
export function refuseProblems(problems: ValidationProblem[]): void {
  if (problems.length > 0) {
    throw new CopyJobError("InvalidJobSpec", problems.map((p) => p.message).join(" "));
  }
}

/** The options with the defaults filled in for those left out. */
function withDefaults(options: Partial<CopyOptions> | undefined): CopyOptions {
  // Options left out arrive as explicit undefined from Pulumi inputs: they must not hide the defaults.
  const given = Object.entries(options ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaultCopyOptions, ...Object.fromEntries(given) };
}

/** Throws one error listing every problem; returns the spec with defaults filled in. */
export function validateJobSpec<T extends SpecShape>(spec: T, ownEndpoint?: string): ValidSpec<T> {
  refuseProblems(jobSpecProblems(spec, ownEndpoint));
  return { ...spec, mode: spec.mode ?? "Offline", options: withDefaults(spec.options) };
}

/** As `validateJobSpec`, for a copy whose destination is not known yet (it does not exist yet). */
export function validateSourceSide<T extends Omit<SpecShape, "destination">>(spec: T): ValidSpec<T> {
  refuseProblems(sourceSideProblems(spec));
  return { ...spec, mode: spec.mode ?? "Offline", options: withDefaults(spec.options) };
}
