import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import * as pulumi from "@pulumi/pulumi";
import { ContainerCopyJob } from "pulumi-cosmos-copy";

/**
 * A schema migration on Azure: `shop/orders` is partitioned by `/pk`; the new container `shop/orders-v2` is
 * partitioned by `/customerId` and has a unique key on `/orderNumber`. The copy job depends on the new
 * container through `target.name`, so it starts only once the container exists. Stop writers to
 * `shop/orders` before `pulumi up`: this is an offline copy.
 */
const config = new pulumi.Config();
const resourceGroupName = config.require("resourceGroupName");
const accountName = config.require("accountName");

const account = cosmosdb.getDatabaseAccountOutput({ resourceGroupName, accountName });
const keys = cosmosdb.listDatabaseAccountKeysOutput({ resourceGroupName, accountName });

const target = new cosmosdb.SqlResourceSqlContainer("orders-v2", {
  resourceGroupName,
  accountName,
  databaseName: "shop",
  containerName: "orders-v2",
  resource: {
    id: "orders-v2",
    partitionKey: { paths: ["/customerId"], kind: cosmosdb.PartitionKind.Hash, version: 2 },
    uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/orderNumber"] }] },
  },
  options: { throughput: 4000 },
});

const job = new ContainerCopyJob("orders-migration", {
  account: { endpoint: account.documentEndpoint, key: keys.primaryMasterKey },
  source: { database: "shop", container: "orders" },
  destination: { database: "shop", container: target.name },
  timeoutMinutes: 120,
});

export const status = job.status;
export const copied = job.processedCount;
export const total = job.totalCount;
export const verification = job.verification;
