import * as pulumi from "@pulumi/pulumi";
import type { CassandraJobInputs, CassandraJobOutputs } from "../provider/cassandra-inputs";
import { copyJobProvider } from "../provider/dynamic-provider";
import type { JobError, Verification } from "../engine";
import { fieldOf, resourceType, typeModule } from "./resource-type";

const typeName = "CassandraTableCopyJob";
/** The type token stacks show: `pulumi-nodejs:dynamic/pulumi-cosmos-copy:CassandraTableCopyJob`. */
export const cassandraTableCopyJobType = resourceType(typeName);

/** TLS settings of a cluster whose certificate the system's certificate authorities do not vouch for. */
export interface ClusterTlsArgs {
  /** PEM of the certificate authority that signed the cluster's certificate. */
  caCertificate?: pulumi.Input<string>;
  /** Skip the certificate check. For test clusters only; never the default. */
  insecure?: boolean;
}

/** How the job reaches the Cassandra cluster that holds both tables (and the job's state). */
export interface ClusterArgs {
  /**
   * `host` or `host:port` (`[v6]:port` for IPv6); without a port, 9042. Azure Cosmos DB for Apache
   * Cassandra: `<account>.cassandra.cosmos.azure.com:10350`. Other contact points replace the job.
   */
  contactPoints: pulumi.Input<pulumi.Input<string>[]>;
  /** The data center the job works in (default "datacenter1"; Azure: the account's region, e.g. "West Europe"). */
  localDataCenter?: pulumi.Input<string>;
  /** The user name (Azure: the account name). */
  username?: pulumi.Input<string>;
  /** The password (Azure: the account's primary key). Stored as a Pulumi secret; never logged. */
  password?: pulumi.Input<string>;
  /** true: speak TLS, trusting the system's certificate authorities (Azure); or these settings. */
  tls?: pulumi.Input<boolean | ClusterTlsArgs>;
}

/** A table of the cluster. Names are case-sensitive: one created without quotes is lower case. */
export interface TableArgs {
  keyspace: pulumi.Input<string>;
  table: pulumi.Input<string>;
}

/** The copy's tuning; a change reaches a running job in place. */
export interface CassandraCopyOptionsArgs {
  /** Rows per page read and per checkpoint (1–10,000, default 1,000). */
  pageSize?: pulumi.Input<number>;
  /** Workers the job wants (1–16, default 1). */
  workerCount?: pulumi.Input<number>;
}

export interface CassandraTableCopyJobArgs {
  /** The cluster; the job and its state live in its `__datatransferstate` keyspace. */
  cluster: pulumi.Input<ClusterArgs>;
  /** The table to copy from. It is read, never written. Stop writers to it first: the copy is offline. */
  source: pulumi.Input<TableArgs>;
  /**
   * The table to copy into, with every column of the source (of the same types) and any primary key made of
   * them; it must exist. Pass the table resource's name as an Output so the job waits for it.
   */
  destination: pulumi.Input<TableArgs>;
  /** The job's name in the cluster; defaults to the resource name, so it is stable across updates. */
  jobName?: pulumi.Input<string>;
  options?: pulumi.Input<CassandraCopyOptionsArgs>;
  /** Wait for the copy to end during `pulumi up` (default true); a failed copy fails the update. */
  waitForCompletion?: pulumi.Input<boolean>;
  /** How long `up` waits before giving up (the job keeps running; the next `up` waits again). */
  timeoutMinutes?: pulumi.Input<number>;
  /** Pause the job (an in-place update); set back to false to resume it. */
  paused?: pulumi.Input<boolean>;
}

/** The cluster argument as the provider stores it: its fields, and its password apart and secret. */
function clusterInputs(cluster: pulumi.Input<ClusterArgs>) {
  const field = <K extends keyof ClusterArgs>(name: K) => fieldOf(cluster, name);
  const password = field("password");
  return {
    fields: {
      contactPoints: field("contactPoints"),
      localDataCenter: field("localDataCenter"),
      username: field("username"),
      tls: field("tls"),
    },
    password: password === undefined ? undefined : pulumi.secret(password),
  };
}

/**
 * A Cassandra table copy job: copies every row of a table into another table of the same cluster (to
 * change its partition key or clustering), like Azure's `az cosmosdb copy` with `--src-cassandra` and
 * `--dest-cassandra`. Offline: stop writers to the source first.
 *
 * `pulumi preview` checks the names, the options, the cluster and both tables (their columns too); `up`
 * starts the job and waits for it, both tables then read whole to verify the copy; `refresh` shows the
 * job's real state; `destroy` cancels it and removes its record, never any data.
 */
export class CassandraTableCopyJob extends pulumi.dynamic.Resource {
  /** The job's name in the cluster. */
  declare readonly jobName: pulumi.Output<string>;
  /** Pending, Running, Paused, Completed, Failed or Cancelled. */
  declare readonly status: pulumi.Output<string>;
  /** Rows copied so far. */
  declare readonly processedCount: pulumi.Output<number>;
  /** Rows in the source, as the copy counted them. */
  declare readonly totalCount: pulumi.Output<number>;
  /** Why the job failed, if it did. */
  declare readonly error: pulumi.Output<JobError | undefined>;
  /** What the closing check found reading both tables whole: row counts and checksums. */
  declare readonly verification: pulumi.Output<Verification | undefined>;
  /** When the job was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** When the job ended (ISO 8601), if it has. */
  declare readonly completedAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: CassandraTableCopyJobArgs, opts?: pulumi.CustomResourceOptions) {
    const cluster = clusterInputs(args.cluster);
    const inputs: Record<keyof CassandraJobInputs, pulumi.Input<unknown>> = {
      api: "Cassandra",
      cluster: cluster.fields,
      clusterPassword: cluster.password,
      source: args.source,
      destination: args.destination,
      jobName: args.jobName ?? name,
      options: args.options,
      waitForCompletion: args.waitForCompletion,
      timeoutMinutes: args.timeoutMinutes,
      paused: args.paused,
      resourceUrn: pulumi.createUrn(name, cassandraTableCopyJobType, opts?.parent),
    };
    const outputs: Record<Exclude<keyof CassandraJobOutputs, keyof CassandraJobInputs>, undefined> = {
      status: undefined,
      processedCount: undefined,
      totalCount: undefined,
      error: undefined,
      verification: undefined,
      createdAt: undefined,
      completedAt: undefined,
    };
    super(
      copyJobProvider,
      name,
      { ...inputs, ...outputs },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "clusterPassword"],
      },
      typeModule,
      typeName,
    );
  }
}
