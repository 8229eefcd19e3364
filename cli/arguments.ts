import { InvalidArgumentError, Option } from "commander";
import {
  defaultTransformExport,
  parseThroughputLimit,
  type ContainerRef,
  type TableRef,
  type ThroughputLimit,
  type TransformSpec,
  type ValidationProblem,
} from "../engine";
import type { JobsApi } from "./jobs-api";
import { UsageError } from "./usage-error";

/**
 * Parsers for the values commands take, in the shapes `az cosmosdb copy` uses. Each rejection names the bad
 * value and what would be accepted.
 */
export function jobNameOption(): Option {
  return new Option("--job-name <name>", "name of the copy job").makeOptionMandatory();
}

/**
 * A reference typed as `name=value` pairs (`--src-nosql database=D container=C`, `--src-cassandra keyspace=K
 * table=T`): a variadic option whose pairs accumulate into one reference.
 */
interface RefPairs<Ref extends object> {
  parse: (value: string, previous?: Partial<Ref>) => Partial<Ref>;
  /** The reference once every pair was given, or a usage error naming the missing ones. */
  require: (flag: string, pairs: Partial<Ref> | undefined) => Ref;
}

function refPairs<Ref extends object>(
  keys: readonly (keyof Ref & string)[],
  example: Record<keyof Ref, string>,
): RefPairs<Ref> {
  const pairs = (names: readonly (keyof Ref & string)[]) =>
    names.map((key) => `${key}=${example[key]}`).join(" ");
  const pattern = new RegExp(`^(${keys.join("|")})=(.*)$`);
  return {
    parse: (value, previous = {}) => {
      const match = pattern.exec(value);
      if (!match) {
        throw new InvalidArgumentError(
          `Give ${keys.map((key) => `'${key}=<name>'`).join(" and ")}, e.g. ${pairs(keys)}.`,
        );
      }
      return { ...previous, [match[1]]: match[2] };
    },
    require: (flag, given = {}) => {
      const missing = keys.filter((key) => given[key] === undefined);
      if (missing.length > 0) {
        throw new UsageError(
          `${flag} needs ${missing.map((key) => `${key}=<name>`).join(" and ")}, e.g. ${flag} ${pairs(keys)}.`,
        );
      }
      return given as Ref;
    },
  };
}

/** `--src-nosql` / `--dest-nosql`: a container. */
export const containerRef = refPairs<ContainerRef>(["database", "container"], {
  database: "shop",
  container: "orders",
});

/** `--src-cassandra` / `--dest-cassandra`: a table, as Azure's flags name it. */
export const tableRef = refPairs<TableRef>(["keyspace", "table"], {
  keyspace: "shop",
  table: "orders",
});

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

/** A Cassandra copy names its tables with Azure's Cassandra flags. */
const cassandraFlagOfField: [prefix: string, flag: string][] = [
  ["source", "--src-cassandra"],
  ["destination", "--dest-cassandra"],
];

export function specProblemsError(problems: ValidationProblem[], api: JobsApi = "NoSQL"): UsageError {
  const flags = api === "Cassandra" ? [...cassandraFlagOfField, ...flagOfField] : flagOfField;
  return new UsageError(
    problems
      .map((problem) => {
        const flag = flags.find(([prefix]) => problem.field.split(".")[0] === prefix)?.[1];
        return flag ? `${flag}: ${problem.message}` : problem.message;
      })
      .join("\n"),
  );
}
