import type { CassandraConnection } from "../engine/cassandra/connection";
import type { CassandraJobSpec, ContainerRef, CopyOptions, TableRef } from "../engine";
import type { InputChange } from "./inputs";
import type { JobStateOutputs } from "./job-outputs";

/**
 * The property bag a `CassandraTableCopyJob` stores, in the SDK's shape like a `ContainerCopyJob`'s (see
 * inputs.ts): `api: "Cassandra"` tells the shared provider which kind of job the bag is (a bag without it is
 * a ContainerCopyJob's, as every stack deployed before this kind existed holds), and the password travels
 * apart from `cluster` as `clusterPassword`, which the SDK marks secret.
 */
export interface ClusterTlsInputs {
  /** PEM of the certificate authority to trust, for a cluster whose certificate a private one signed. */
  caCertificate?: string;
  /** Skip the certificate check: for test clusters only. */
  insecure?: boolean;
}

export interface ClusterInputs {
  contactPoints: string[];
  /** Default "datacenter1", a single node's. */
  localDataCenter?: string;
  username?: string;
  /** true: TLS, trusting the system's certificate authorities; an object: TLS with these settings. */
  tls?: boolean | ClusterTlsInputs;
}

export type CassandraOptions = Pick<CopyOptions, "pageSize" | "workerCount">;

export interface CassandraJobInputs {
  api: "Cassandra";
  cluster: ClusterInputs;
  clusterPassword?: string;
  source: TableRef;
  destination: TableRef;
  jobName: string;
  options?: Partial<CassandraOptions>;
  waitForCompletion?: boolean;
  timeoutMinutes?: number;
  paused?: boolean;
  /** The resource's own URN: the job's owner, and where the provider attaches its progress messages. */
  resourceUrn?: string;
}

/** The job's reported state: what a ContainerCopyJob reports of every kind of job (see `JobStateOutputs`). */
export interface CassandraJobOutputs extends CassandraJobInputs, JobStateOutputs {}

export function isCassandraInputs(bag: object): bag is CassandraJobInputs {
  return (bag as Partial<CassandraJobInputs>).api === "Cassandra";
}

/**
 * Every input, as a path into `CassandraJobInputs`; the cluster's fields and the options one by one. Not
 * `api`: it is the resource type's own, the same in every bag of this kind.
 */
export type CassandraInputPath =
  | Exclude<keyof CassandraJobInputs, "api" | "cluster" | "options">
  | `cluster.${keyof ClusterInputs}`
  | `options.${keyof CassandraOptions}`;

/** What a change of each input does (see `InputChange`). Typed over every path, as ContainerCopyJob's table. */
export const cassandraInputChanges: Readonly<Record<CassandraInputPath, InputChange>> = {
  // Other contact points may be another cluster, which the job and its state are not in.
  "cluster.contactPoints": "replace",
  "cluster.localDataCenter": "store",
  "cluster.username": "store",
  "cluster.tls": "store",
  clusterPassword: "store",
  source: "replace",
  destination: "replace",
  jobName: "replace",
  "options.pageSize": "update",
  "options.workerCount": "update",
  waitForCompletion: "store",
  timeoutMinutes: "store",
  paused: "update",
  resourceUrn: "store",
};

/** The `update` paths that are the job's options, which `update` hands to the engine. */
export const cassandraOptionPaths = [
  "options.pageSize",
  "options.workerCount",
] as const satisfies readonly CassandraInputPath[];

/**
 * The options `update` hands to the engine. One left out (absent, or null as some SDK paths send it) is
 * undefined, which the engine takes as its default: removing an option from the program reverts it.
 */
export function cassandraOptionsOf(inputs: CassandraJobInputs): Partial<CopyOptions> {
  return {
    pageSize: inputs.options?.pageSize ?? undefined,
    workerCount: inputs.options?.workerCount ?? undefined,
  };
}

/** The spec the engine checks and creates, with every option given: one that does not apply is refused there. */
export function cassandraSpecOf(inputs: CassandraJobInputs): CassandraJobSpec {
  const given = Object.entries(inputs.options ?? {}).filter(([, value]) => value !== null);
  return {
    name: inputs.jobName,
    source: inputs.source,
    destination: inputs.destination,
    options: Object.fromEntries(given),
  };
}

/** A table as the SDK names it, from a job record (which keeps it as `{ database, container }`). */
export function tableOf(recorded: ContainerRef): TableRef {
  return { keyspace: recorded.database, table: recorded.container };
}

/** The name of a single node's data center, which Cassandra gives unless configured otherwise. */
const defaultDataCenter = "datacenter1";

export function clusterConnectionOf(inputs: CassandraJobInputs): CassandraConnection {
  const { contactPoints, localDataCenter, username, tls } = inputs.cluster;
  return {
    contactPoints,
    localDataCenter: localDataCenter || defaultDataCenter,
    ...(username ? { username, password: inputs.clusterPassword ?? "" } : {}),
    ...(tls ? { tls: tls === true ? {} : tls } : {}),
  };
}
