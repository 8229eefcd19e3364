import { InvalidArgumentError, Option } from "commander";
import {
  defaultTransformExport,
  parseThroughputLimit,
  type ContainerRef,
  type ThroughputLimit,
  type TransformSpec,
  type ValidationProblem,
} from "../engine";
import { UsageError } from "./usage-error";

/**
 * Parsers for the values commands take, in the shapes `az cosmosdb copy` uses. Each rejection names the bad
 * value and what would be accepted.
 */
export function jobNameOption(): Option {
  return new Option("--job-name <name>", "name of the copy job").makeOptionMandatory();
}

/** `--src-nosql database=D container=C`: a variadic option whose pairs accumulate into one reference. */
export function containerRefPairs(
  value: string,
  previous: Partial<ContainerRef> = {},
): Partial<ContainerRef> {
  const match = /^(database|container)=(.*)$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `Give 'database=<name>' and 'container=<name>', e.g. database=shop container=orders.`,
    );
  }
  return { ...previous, [match[1]]: match[2] };
}

export function requireContainerRef(flag: string, pairs: Partial<ContainerRef>): ContainerRef {
  const missing = (["database", "container"] as const).filter((key) => pairs[key] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `${flag} needs ${missing.map((key) => `${key}=<name>`).join(" and ")}, e.g. ${flag} database=shop container=orders.`,
    );
  }
  return { database: pairs.database as string, container: pairs.container as string };
}

export function wholeNumberIn(limits: { min: number; max: number }): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < limits.min || parsed > limits.max) {
      throw new InvalidArgumentError(`Use a whole number from ${limits.min} to ${limits.max}.`);
    }
    return parsed;
  };
}

/** `--…-throughput-limit`: RU/s or a percentage, refused here with the engine's words. */
export function throughputLimitArgument(value: string): ThroughputLimit {
  try {
    return parseThroughputLimit(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/**
 * `--transform ./file.js#exportName`: a module path (resolved against the current directory when the job is
 * checked) and, after the last '#', the export to call (default `transform`).
 */
export function transformArgument(value: string): TransformSpec {
  const hash = value.lastIndexOf("#");
  const [module, exportName] = hash < 0 ? [value, undefined] : [value.slice(0, hash), value.slice(hash + 1)];
  if (module === "" || exportName === "") {
    throw new InvalidArgumentError(
      `Give the module's path and, optionally, '#' and the export to call, e.g. ./transform.js or ./transform.js#${defaultTransformExport}.`,
    );
  }
  return exportName === undefined ? { module } : { module, exportName };
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError("Use a number greater than 0.");
  return parsed;
}

/** The engine names spec fields (`source.container`); the user typed flags, so messages lead with those. */
const flagOfField: [prefix: string, flag: string][] = [
  ["name", "--job-name"],
  ["sourceAccount", "--src-endpoint"],
  ["source", "--src-nosql"],
  ["destination", "--dest-nosql"],
  ["mode", "--mode"],
  ["pageSize", "--page-size"],
  ["workerCount", "--worker-count"],
  ["targetThroughputLimit", "--target-throughput-limit"],
  ["sourceThroughputLimit", "--source-throughput-limit"],
  ["verificationMode", "--verification-mode"],
];

export function specProblemsError(problems: ValidationProblem[]): UsageError {
  return new UsageError(
    problems
      .map((problem) => {
        const flag = flagOfField.find(([prefix]) => problem.field.split(".")[0] === prefix)?.[1];
        return flag ? `${flag}: ${problem.message}` : problem.message;
      })
      .join("\n"),
  );
}
