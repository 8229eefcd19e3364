import * as pulumi from "@pulumi/pulumi";
import * as cassandra from "cassandra-driver";

/**
 * A new table with the columns of an existing one and another primary key: the destination of the local
 * example's copy, made through CQL (Cassandra has no `CREATE TABLE … LIKE`; on Azure,
 * `azure-native.cosmosdb.CassandraResourceCassandraTable` plays this part with its columns written out, see
 * ../azure-cassandra). Destroy leaves the table and its rows in place.
 */
interface RekeyedTableInputs {
  contactPoints: string[];
  localDataCenter: string;
  username?: string;
  password?: string;
  keyspace: string;
  /** The table whose columns the new one takes. */
  source: string;
  table: string;
  partitionKey: string[];
  clusteringColumns: string[];
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function createLikeSource(inputs: RekeyedTableInputs): Promise<void> {
  const client = new cassandra.Client({
    contactPoints: inputs.contactPoints,
    localDataCenter: inputs.localDataCenter,
    ...(inputs.username
      ? { authProvider: new cassandra.auth.PlainTextAuthProvider(inputs.username, inputs.password ?? "") }
      : {}),
  });
  try {
    const columns = await client.execute(
      "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
      [inputs.keyspace, inputs.source],
      { prepare: true },
    );
    if (columns.rowLength === 0) {
      throw new Error(
        `The source table '${inputs.keyspace}.${inputs.source}' does not exist: create it first.`,
      );
    }
    // The types as the schema writes them (`frozen<address>`, `map<text, blob>`) name the keyspace's own UDTs.
    const definitions = columns.rows.map((row) => `${quote(row.column_name)} ${row.type}`);
    const partition = inputs.partitionKey.map(quote).join(", ");
    const key = [`(${partition})`, ...inputs.clusteringColumns.map(quote)].join(", ");
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${quote(inputs.keyspace)}.${quote(inputs.table)} (${definitions.join(", ")}, PRIMARY KEY (${key}))`,
    );
  } finally {
    await client.shutdown();
  }
}

const rekeyedTableProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: RekeyedTableInputs) {
    await createLikeSource(inputs);
    return { id: `${inputs.keyspace}.${inputs.table}`, outs: { ...inputs, name: inputs.table } };
  },
  async diff(_id, olds: RekeyedTableInputs, news: RekeyedTableInputs) {
    const replaces = (["keyspace", "table", "source", "partitionKey", "clusteringColumns"] as const).filter(
      (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
    return { changes: replaces.length > 0, replaces };
  },
};

export interface RekeyedTableArgs {
  contactPoints: pulumi.Input<string[]>;
  localDataCenter: pulumi.Input<string>;
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
  keyspace: pulumi.Input<string>;
  source: pulumi.Input<string>;
  table: pulumi.Input<string>;
  partitionKey: pulumi.Input<string[]>;
  clusteringColumns: pulumi.Input<string[]>;
}

export class RekeyedTable extends pulumi.dynamic.Resource {
  /** The table's name, known once it exists: pass it to the copy job so the job waits for it. */
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: RekeyedTableArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      rekeyedTableProvider,
      name,
      { ...args, password: args.password && pulumi.secret(args.password), name: undefined },
      { ...opts, additionalSecretOutputs: ["password"] },
    );
  }
}
