import { CosmosClient } from "@azure/cosmos";
import * as pulumi from "@pulumi/pulumi";
import * as https from "node:https";

/**
 * The target container for the local example, made through the Cosmos DB data plane (cosmos-emulator has
 * no Azure Resource Manager; on Azure, `azure-native.cosmosdb.SqlResourceSqlContainer` plays this part, see
 * ../azure-schema-migration). Destroy leaves the container and its data in place.
 */
interface TargetContainerInputs {
  endpoint: string;
  key: string;
  caCertificate?: string;
  database: string;
  container: string;
  partitionKeyPath: string;
  throughput: number;
}

function clientFor(inputs: TargetContainerInputs): CosmosClient {
  const agent = inputs.caCertificate
    ? new https.Agent({ ca: inputs.caCertificate, keepAlive: true })
    : undefined;
  return new CosmosClient({ endpoint: inputs.endpoint, key: inputs.key, agent });
}

const targetContainerProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: TargetContainerInputs) {
    const client = clientFor(inputs);
    try {
      const { database } = await client.databases.createIfNotExists({ id: inputs.database });
      await database.containers.createIfNotExists({
        id: inputs.container,
        partitionKey: { paths: [inputs.partitionKeyPath] },
        throughput: inputs.throughput,
      });
    } finally {
      client.dispose();
    }
    return { id: `${inputs.database}/${inputs.container}`, outs: { ...inputs, name: inputs.container } };
  },
  async diff(_id, olds: TargetContainerInputs, news: TargetContainerInputs) {
    const replaces = (["database", "container", "partitionKeyPath"] as const).filter(
      (k) => olds[k] !== news[k],
    );
    return { changes: replaces.length > 0, replaces };
  },
};

export interface TargetContainerArgs {
  endpoint: pulumi.Input<string>;
  key: pulumi.Input<string>;
  caCertificate?: pulumi.Input<string>;
  database: pulumi.Input<string>;
  container: pulumi.Input<string>;
  partitionKeyPath: pulumi.Input<string>;
  throughput: pulumi.Input<number>;
}

export class TargetContainer extends pulumi.dynamic.Resource {
  /** The container's name, known once it exists: pass it to the copy job so the job waits for it. */
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: TargetContainerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      targetContainerProvider,
      name,
      { ...args, key: pulumi.secret(args.key), name: undefined },
      {
        ...opts,
        additionalSecretOutputs: ["key"],
      },
    );
  }
}
