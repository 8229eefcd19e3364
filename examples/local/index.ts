import * as pulumi from "@pulumi/pulumi";
import { ContainerCopyJob } from "pulumi-cosmos-copy";
import { TargetContainer } from "./target-container";

/**
 * Re-partition `shop/orders` (partition key /pk) into `shop/orders-by-customer` (partition key /customerId)
 * on a local cosmos-emulator. `npm run demo` starts the emulator, seeds the source and deploys this program.
 */
const config = new pulumi.Config();
const endpoint = config.require("endpoint");
const key = config.requireSecret("key");
const caCertificate = config.get("caCertificate");

const target = new TargetContainer("orders-by-customer", {
  endpoint,
  key,
  caCertificate,
  database: "shop",
  container: "orders-by-customer",
  partitionKeyPath: "/customerId",
  throughput: 20000,
});

const job = new ContainerCopyJob("orders-migration", {
  account: { endpoint, key, caCertificate },
  source: { database: "shop", container: "orders" },
  // An Output: the job waits for the target, and preview checks that it exists.
  destination: { database: "shop", container: target.name },
});

export const jobName = job.jobName;
export const status = job.status;
export const copied = job.processedCount;
export const total = job.totalCount;
export const verification = job.verification;
