import * as cosmosdb from "@pulumi/azure-native/cosmosdb";
import * as pulumi from "@pulumi/pulumi";
import { CassandraTableCopyJob } from "pulumi-cosmos-copy";

/**
 * Re-key a table of an Azure Cosmos DB for Apache Cassandra account: `shop.orders` is keyed by `order_id`;
 * the new table `shop_v2.orders` has the same columns, keyed by `customer_id` (partition) and `order_id`
 * (clustering, newest first). The copy job depends on the new table through `table.name`, so it starts only
 * once the table exists. Stop writers to `shop.orders` before `pulumi up`: the copy is offline.
 */
const config = new pulumi.Config();
const resourceGroupName = config.require("resourceGroupName");
const accountName = config.require("accountName");

const account = cosmosdb.getDatabaseAccountOutput({ resourceGroupName, accountName });
const keys = cosmosdb.listDatabaseAccountKeysOutput({ resourceGroupName, accountName });

const keyspace = new cosmosdb.CassandraResourceCassandraKeyspace("shop-v2", {
  resourceGroupName,
  accountName,
  keyspaceName: "shop_v2",
  resource: { id: "shop_v2" },
  options: { throughput: 4000 },
});

const table = new cosmosdb.CassandraResourceCassandraTable("orders-by-customer", {
  resourceGroupName,
  accountName,
  keyspaceName: keyspace.name,
  tableName: "orders",
  resource: {
    id: "orders",
    schema: {
      // Every column of shop.orders, with the same types: the job refuses a table that lacks one.
      columns: [
        { name: "order_id", type: "uuid" },
        { name: "customer_id", type: "text" },
        { name: "placed_at", type: "timestamp" },
        { name: "total", type: "decimal" },
        { name: "items", type: "map<text, int>" },
      ],
      partitionKeys: [{ name: "customer_id" }],
      clusterKeys: [{ name: "order_id", orderBy: "Desc" }],
    },
  },
});

const job = new CassandraTableCopyJob("orders-rekey", {
  cluster: {
    contactPoints: [`${accountName}.cassandra.cosmos.azure.com:10350`],
    // The account's data center is named after its write region, e.g. "West Europe".
    localDataCenter: account.writeLocations.apply((locations) => locations[0].locationName ?? ""),
    username: accountName,
    password: keys.primaryMasterKey,
    tls: true,
  },
  source: { keyspace: "shop", table: "orders" },
  destination: { keyspace: keyspace.name, table: table.name },
  options: { workerCount: 2 },
  timeoutMinutes: 120,
});

export const status = job.status;
export const copied = job.processedCount;
export const total = job.totalCount;
export const verification = job.verification;
