import { types, type Client } from "cassandra-driver";
import { CopyJobError } from "../errors";
import { tableResourceMissing } from "./errors";
import { withCassandraRetries } from "./retry";

/** One column of a table. */
export interface ColumnSchema {
  name: string;
  /** Its CQL type as `DESCRIBE` writes it: `int`, `list<text>`, `frozen<address>`, `map<text, blob>`. */
  type: string;
  /**
   * The type with every user-defined type spelled out with its fields (`frozen<address{street text, zip
   * int}>`): what two columns must share to take the same values, since a UDT of one name may have other
   * fields in another keyspace.
   */
  expandedType: string;
}

/** What a copy needs to know of a Cassandra table. */
export interface TableSchema {
  keyspace: string;
  table: string;
  columns: ColumnSchema[];
  /** The partition key's columns, in key order: what `token(…)` is computed over. */
  partitionKey: string[];
  clustering: string[];
}

export type TableRole = "source" | "destination";

/** The type information the driver's metadata gives a column (wider than its declared `DataTypeInfo`). */
interface DriverType {
  code: types.dataTypes;
  info?: unknown;
  options?: { frozen?: boolean };
  customTypeName?: string;
}

interface UdtInfo {
  name: string;
  fields: { name: string; type: DriverType }[];
}

/** Keyspace and table names Cassandra accepts (quoted or not, they are letters, digits and underscores). */
const namePattern = /^\w+$/;

const typeNames = new Map(
  Object.entries(types.dataTypes)
    .filter((entry): entry is [string, number] => typeof entry[1] === "number")
    .map(([name, code]) => [code, name]),
);

const durationClass = "org.apache.cassandra.db.marshal.DurationType";

function describeType(type: DriverType, expandUdts: boolean): string {
  const inner = (t: DriverType): string => describeType(t, expandUdts);
  const name = typeNames.get(type.code) ?? `type ${type.code}`;
  let text: string;
  switch (type.code) {
    case types.dataTypes.list:
    case types.dataTypes.set:
      text = `${name}<${inner(type.info as DriverType)}>`;
      break;
    case types.dataTypes.map:
    case types.dataTypes.tuple:
      text = `${name}<${(type.info as DriverType[]).map(inner).join(", ")}>`;
      break;
    case types.dataTypes.udt: {
      const udt = type.info as UdtInfo;
      const fields = udt.fields.map((field) => `${field.name} ${inner(field.type)}`).join(", ");
      text = expandUdts ? `${udt.name}{${fields}}` : udt.name;
      break;
    }
    case types.dataTypes.custom:
      if (type.customTypeName === "vector") {
        const [element, dimensions] = type.info as [DriverType, number];
        text = `vector<${inner(element)}, ${dimensions}>`;
      } else {
        text = type.info === durationClass ? "duration" : `'${String(type.info)}'`;
      }
      break;
    default:
      text = name;
  }
  return type.options?.frozen ? `frozen<${text}>` : text;
}

/** A CQL identifier, quoted so that any name (upper case, reserved words) means itself. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The table as a CQL statement names it: `"keyspace"."table"`. */
export function qualifiedTableName(schema: Pick<TableSchema, "keyspace" | "table">): string {
  return `${quoteIdentifier(schema.keyspace)}.${quoteIdentifier(schema.table)}`;
}

function checkName(role: TableRole, what: "keyspace" | "table", name: string): void {
  if (typeof name === "string" && namePattern.test(name)) return;
  throw new CopyJobError(
    "InvalidJobSpec",
    `The ${role} ${what} name ${JSON.stringify(name)} is not valid: Cassandra ${what} names are letters, digits and underscores.`,
    undefined,
    { field: role },
  );
}

/**
 * The schema of `keyspace.table`, read fresh from the cluster (a table created a moment ago, or altered,
 * is seen as it is now). A missing keyspace or table is the service's "owner resource does not exist".
 */
export async function readTableSchema(
  client: Client,
  role: TableRole,
  keyspace: string,
  table: string,
): Promise<TableSchema> {
  checkName(role, "keyspace", keyspace);
  checkName(role, "table", table);
  // Refreshing the keyspace also drops the driver's cached tables of it.
  await withCassandraRetries(() => client.metadata.refreshKeyspace(keyspace));
  if (!client.metadata.keyspaces[keyspace]) throw tableResourceMissing(role, "keyspace", keyspace);
  const metadata = await withCassandraRetries(() => client.metadata.getTable(keyspace, table));
  if (!metadata) throw tableResourceMissing(role, "table", `${keyspace}.${table}`);
  return {
    keyspace,
    table,
    columns: metadata.columns.map(({ name, type }) => ({
      name,
      type: describeType(type, false),
      expandedType: describeType(type, true),
    })),
    partitionKey: metadata.partitionKeys.map((column) => column.name),
    clustering: metadata.clusteringKeys.map((column) => column.name),
  };
}

function quoted(names: string[]): string {
  return names.map((name) => `'${name}'`).join(", ");
}

/**
 * Refuses a copy the destination table cannot take: it must have every column of the source, of the same
 * type, and its key columns must be among them (every row written needs its whole primary key). A
 * destination with non-key columns of its own is fine: copied rows leave them null. Its keys may differ from
 * the source's (another partition key, another clustering order): rows are written one by one.
 *
 * `sameCluster`: both tables are on one cluster, where a table cannot be copied into itself.
 */
export function checkCopyableSchemas(source: TableSchema, target: TableSchema, sameCluster = true): void {
  const sourceName = `${source.keyspace}.${source.table}`;
  const targetName = `${target.keyspace}.${target.table}`;
  if (sameCluster && sourceName === targetName) {
    throw new CopyJobError(
      "InvalidJobSpec",
      `The destination is the source table '${sourceName}'.`,
      "Copy into another table (create it first with the columns of the source).",
      { field: "destination" },
    );
  }
  const counters = source.columns.filter((column) => column.type === "counter");
  if (counters.length > 0) {
    throw new CopyJobError(
      "UnsupportedTable",
      `The source table '${sourceName}' has counter columns (${quoted(counters.map((c) => c.name))}): counters can only be incremented, not copied by INSERT.`,
      "Copy a table without counter columns.",
      { field: "source" },
    );
  }
  const targetColumns = new Map(target.columns.map((column) => [column.name, column]));
  const sourceNames = new Set(source.columns.map((column) => column.name));
  const missing = source.columns.filter((column) => !targetColumns.has(column.name));
  const retyped = source.columns.filter((column) => {
    const other = targetColumns.get(column.name);
    return other !== undefined && other.expandedType !== column.expandedType;
  });
  const unfedKeys = [...target.partitionKey, ...target.clustering].filter((name) => !sourceNames.has(name));
  const problems: string[] = [];
  if (missing.length > 0) {
    problems.push(
      `it lacks the source's columns ${missing.map((column) => `'${column.name}' (${column.type})`).join(", ")}`,
    );
  }
  for (const column of retyped) {
    const other = targetColumns.get(column.name)!;
    const [sourceType, targetType] =
      other.type === column.type ? [column.expandedType, other.expandedType] : [column.type, other.type];
    problems.push(
      `column '${column.name}' is ${sourceType} in the source but ${targetType} in the destination`,
    );
  }
  if (unfedKeys.length > 0) {
    problems.push(`its primary key columns ${quoted(unfedKeys)} are not columns of the source`);
  }
  if (problems.length === 0) return;
  const additions = missing.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(", ");
  throw new CopyJobError(
    "SchemaMismatch",
    `The destination table '${targetName}' cannot take the rows of the source table '${sourceName}': ${problems.join("; ")}.`,
    [
      missing.length > 0
        ? `Add the missing columns (ALTER TABLE ${qualifiedTableName(target)} ADD (${additions})).`
        : "",
      retyped.length > 0 ? "Give the destination's columns the source's types (recreate the table)." : "",
      unfedKeys.length > 0 ? "Key the destination on columns of the source." : "",
      "Columns of the destination's own are fine: copied rows leave them null.",
    ]
      .filter(Boolean)
      .join(" "),
    { field: "destination" },
  );
}
