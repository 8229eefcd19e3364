import * as pulumi from "@pulumi/pulumi";
import { CassandraTableCopyJob } from "pulumi-cosmos-copy";
import { RekeyedTable } from "./rekeyed-table";

/**
 * Re-key a Cassandra table on a local node: `shop.orders` (keyed by `order_id`) is copied into
 * `shop.orders_by_customer`, a new table with the same columns keyed by `customer_id` and `order_id`. The
 * keyspace, tables and keys are config, so the test suite deploys this program on a table of its own.
 */
const config = new pulumi.Config();
const list = (value: string) => value.split(",").map((item) => item.trim());
const contactPoints = list(config.require("contactPoints"));
const localDataCenter = config.get("localDataCenter") ?? "datacenter1";
const username = config.get("username");
const password = config.getSecret("password");
const keyspace = config.get("keyspace") ?? "shop";
const sourceTable = config.get("sourceTable") ?? "orders";

const target = new RekeyedTable("orders-by-customer", {
  contactPoints,
  localDataCenter,
  username,
  password,
  keyspace,
  source: sourceTable,
  table: config.get("targetTable") ?? "orders_by_customer",
  partitionKey: list(config.get("partitionKey") ?? "customer_id"),
  clusteringColumns: list(config.get("clusteringColumns") ?? "order_id"),
});

const job = new CassandraTableCopyJob("orders-rekey", {
  cluster: { contactPoints, localDataCenter, username, password },
  source: { keyspace, table: sourceTable },
  // An Output: the job waits for the table, and preview checks the source side until it exists.
  destination: { keyspace, table: target.name },
  jobName: config.get("jobName"),
});

export const jobName = job.jobName;
export const status = job.status;
export const copied = job.processedCount;
export const total = job.totalCount;
export const verification = job.verification;
