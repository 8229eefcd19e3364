import { defaultCopyOptions, type CassandraJobSpec, type CopyOptions, type TableRef } from "../types";
import { refuseProblems, validateJobName, validateOption, type ValidationProblem } from "../validation";

/**
 * The checks a Cassandra job spec gets before anything touches the cluster. Keyspace and table names follow
 * Cassandra's rule (letters, digits and underscores, at most 48), and are used as given: the engine quotes
 * them, so they are case-sensitive (a table created as `CREATE TABLE Orders` is stored as `orders`).
 */
const tableNamePattern = /^[A-Za-z0-9_]{1,48}$/;

/** The options a Cassandra job takes: the others are about request units, a change feed or sampling. */
const cassandraOptions = ["pageSize", "workerCount"] as const;

function validateTableName(field: string, value: unknown): ValidationProblem | undefined {
  if (typeof value === "string" && tableNamePattern.test(value)) return undefined;
  return {
    field,
    message: `${field} ${JSON.stringify(value)} is not a valid Cassandra name: use 1–48 letters, digits or underscores (names are case-sensitive).`,
  };
}

function validateTableRef(field: string, value: TableRef | undefined): ValidationProblem[] {
  if (!value || typeof value !== "object") {
    return [{ field, message: `${field} is required: give { keyspace, table }.` }];
  }
  return [
    validateTableName(`${field}.keyspace`, value.keyspace),
    validateTableName(`${field}.table`, value.table),
  ].filter((p): p is ValidationProblem => p !== undefined);
}

function unsupportedOptions(options: Record<string, unknown> | undefined): ValidationProblem[] {
  return Object.entries(options ?? {})
    .filter(([name, value]) => value !== undefined && !(cassandraOptions as readonly string[]).includes(name))
    .map(([name]) => ({
      field: name,
      message: `${name} does not apply to a Cassandra table copy (it takes ${cassandraOptions.join(" and ")}): leave it out.`,
    }));
}

export function cassandraSpecProblems(spec: CassandraJobSpec): ValidationProblem[] {
  const problems = [
    validateJobName(spec.name),
    ...validateTableRef("source", spec.source),
    ...validateTableRef("destination", spec.destination),
    validateOption("pageSize", spec.options?.pageSize),
    validateOption("workerCount", spec.options?.workerCount),
    ...unsupportedOptions(spec.options),
  ].filter((p): p is ValidationProblem => p !== undefined);
  if (
    problems.length === 0 &&
    spec.source.keyspace === spec.destination.keyspace &&
    spec.source.table === spec.destination.table
  ) {
    problems.push({
      field: "destination",
      message: `The destination is the source table '${spec.source.keyspace}.${spec.source.table}': copy into a new table instead.`,
    });
  }
  return problems;
}

/**
 * Throws one error listing every problem; returns the options a Cassandra job records. Its closing check
 * always reads both tables whole (row counts and checksums), which is the "full" mode.
 */
export function validateCassandraSpec(spec: CassandraJobSpec): CopyOptions {
  refuseProblems(cassandraSpecProblems(spec));
  const given = Object.entries(spec.options ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaultCopyOptions, ...Object.fromEntries(given), verificationMode: "full" };
}
