import * as cassandra from "cassandra-driver";
import * as fs from "node:fs";
import { isIP } from "node:net";
import * as tls from "node:tls";
import { CopyJobError } from "../errors";
import { rowEncoding } from "./row-encoding";

/**
 * How the engine reaches a Cassandra cluster: a real Apache Cassandra node, or an Azure Cosmos DB for Apache
 * Cassandra account (contact point `<account>.cassandra.cosmos.azure.com:10350`, the account name as user name,
 * its password, TLS). The password never appears in errors or logs.
 */
export interface CassandraConnection {
  /** `host` or `host:port` (`[v6]:port` for IPv6); without a port, the driver's default, 9042. */
  contactPoints: string[];
  localDataCenter: string;
  username?: string;
  password?: string;
  tls?: { caCertificate?: string; insecure?: boolean };
}

/** The variables a cluster's connection is read from, and handed to a worker process in. */
export const cassandraVariables = {
  contactPoints: "CASSANDRA_CONTACT_POINTS",
  localDataCenter: "CASSANDRA_LOCAL_DATA_CENTER",
  username: "CASSANDRA_USERNAME",
  password: "CASSANDRA_PASSWORD",
  tls: "CASSANDRA_TLS",
  caFile: "CASSANDRA_CA_FILE",
  /** The certificate itself (PEM), as a worker process gets it: its starter read the file. */
  caCertificate: "CASSANDRA_CA_CERT",
  insecureTls: "CASSANDRA_INSECURE_TLS",
} as const;

const startTheNode =
  "Start the project's node with `bash scripts/cassandra-node.sh start`, or set CASSANDRA_CONTACT_POINTS to a running cluster's host[:port] list.";

function invalidSetting(variable: string, value: string, problem: string, fix: string): CopyJobError {
  return new CopyJobError("InvalidCassandraSetting", `${variable}='${value}' ${problem}.`, fix, {
    field: "account",
  });
}

/** `host`, `host:port`, or `[v6]:port` (the driver reads brackets only with a port). */
const contactPointPattern =
  /^(?:\[(?<v6>[0-9a-fA-F:.]+)\](?=:)|(?<host>[A-Za-z0-9._-]+))(?::(?<port>\d{1,5}))?$/;

/**
 * `host[:port],…` as the driver takes it; a bad value is refused naming `setting`, where it came from (the
 * CLI's `--contact-points` flag, or the variable).
 */
export function parseContactPoints(
  value: string,
  setting: string = cassandraVariables.contactPoints,
): string[] {
  const points = value
    .split(",")
    .map((point) => point.trim())
    .filter((point) => point !== "");
  if (points.length === 0) {
    throw invalidSetting(
      setting,
      value,
      "names no host",
      "List the cluster's hosts as host[:port], separated by commas, e.g. 127.0.0.1:9042 or myaccount.cassandra.cosmos.azure.com:10350.",
    );
  }
  for (const point of points) {
    const parts = contactPointPattern.exec(point)?.groups;
    const port = Number(parts?.port ?? 9042);
    if (!parts || port < 1 || port > 65535) {
      throw invalidSetting(
        setting,
        value,
        `has '${point}', which is not host[:port] (or [IPv6]:port) with a port from 1 to 65535`,
        "List the cluster's hosts as host[:port], separated by commas, e.g. 127.0.0.1:9042 or [::1]:9042.",
      );
    }
  }
  return points;
}

function parseFlag(env: NodeJS.ProcessEnv, variable: string): boolean | undefined {
  const value = env[variable];
  if (value === undefined || value === "") return undefined;
  if (/^(1|true)$/i.test(value)) return true;
  if (/^(0|false)$/i.test(value)) return false;
  throw invalidSetting(
    variable,
    value,
    "is not 1, true, 0 or false",
    `Set ${variable} to 1 or true to turn it on, or unset it.`,
  );
}

function readCaFile(path: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (error) {
    throw invalidSetting(
      "CASSANDRA_CA_FILE",
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      "Point it at a readable PEM file with the certificate authority that signed the cluster's certificate.",
    );
  }
}

function tlsFromEnvironment(env: NodeJS.ProcessEnv): CassandraConnection["tls"] {
  const enabled = parseFlag(env, cassandraVariables.tls);
  const insecure = parseFlag(env, cassandraVariables.insecureTls);
  const caFile = env[cassandraVariables.caFile] || undefined;
  const caCertificate =
    env[cassandraVariables.caCertificate] || (caFile !== undefined ? readCaFile(caFile) : undefined);
  if (enabled === false && (caFile !== undefined || insecure)) {
    throw invalidSetting(
      "CASSANDRA_TLS",
      env[cassandraVariables.tls] as string,
      `turns TLS off while ${caFile !== undefined ? "CASSANDRA_CA_FILE" : "CASSANDRA_INSECURE_TLS"} asks for it`,
      "Unset CASSANDRA_TLS (the other setting turns TLS on), or unset the other setting.",
    );
  }
  if (!enabled && caCertificate === undefined && !insecure) return undefined;
  return {
    ...(caCertificate !== undefined ? { caCertificate } : {}),
    ...(insecure ? { insecure } : {}),
  };
}

/**
 * The cluster named by the environment, or undefined when CASSANDRA_CONTACT_POINTS is unset:
 * CASSANDRA_CONTACT_POINTS (host[:port],…), CASSANDRA_LOCAL_DATA_CENTER (default datacenter1),
 * CASSANDRA_USERNAME with CASSANDRA_PASSWORD, and TLS with CASSANDRA_TLS, CASSANDRA_CA_FILE (a PEM file) or
 * CASSANDRA_INSECURE_TLS (no certificate check; either of the last two turns TLS on).
 */
export function cassandraConnectionFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): CassandraConnection | undefined {
  const contactPoints = env[cassandraVariables.contactPoints];
  if (contactPoints === undefined || contactPoints.trim() === "") return undefined;
  const username = env[cassandraVariables.username] || undefined;
  const password = env[cassandraVariables.password] || undefined;
  if ((username === undefined) !== (password === undefined)) {
    const [given, missing] = username
      ? ["CASSANDRA_USERNAME", "CASSANDRA_PASSWORD"]
      : ["CASSANDRA_PASSWORD", "CASSANDRA_USERNAME"];
    throw new CopyJobError(
      "InvalidCassandraSetting",
      `${given} is set but ${missing} is not.`,
      "Set both (for Azure Cosmos DB for Apache Cassandra: the account name and its primary password), or neither.",
      { field: "account" },
    );
  }
  const tlsOptions = tlsFromEnvironment(env);
  return {
    contactPoints: parseContactPoints(contactPoints),
    localDataCenter: env[cassandraVariables.localDataCenter]?.trim() || "datacenter1",
    ...(username !== undefined ? { username, password } : {}),
    ...(tlsOptions ? { tls: tlsOptions } : {}),
  };
}

/** The variables that give a worker process `connection` (read back by `cassandraConnectionFromEnvironment`). */
export function cassandraEnvironmentOf(connection: CassandraConnection): Record<string, string> {
  const { tls: tlsOptions } = connection;
  return {
    [cassandraVariables.contactPoints]: connection.contactPoints.join(","),
    [cassandraVariables.localDataCenter]: connection.localDataCenter,
    ...(connection.username !== undefined
      ? {
          [cassandraVariables.username]: connection.username,
          [cassandraVariables.password]: connection.password ?? "",
        }
      : {}),
    ...(tlsOptions ? { [cassandraVariables.tls]: "1" } : {}),
    ...(tlsOptions?.caCertificate ? { [cassandraVariables.caCertificate]: tlsOptions.caCertificate } : {}),
    ...(tlsOptions?.insecure ? { [cassandraVariables.insecureTls]: "1" } : {}),
  };
}

/** The host part of a contact point (`[v6]:port` → `v6`). */
function contactHost(point: string): string {
  const groups = contactPointPattern.exec(point)?.groups;
  return groups?.v6 ?? groups?.host ?? point;
}

/**
 * TLS options for the driver. The driver connects to resolved addresses, so Node would check the certificate
 * against an IP and send no server name; a cluster reached by name (Azure's accounts are) is checked against
 * the names in the contact points instead, and its first name is sent as SNI.
 */
function sslOptionsFor(connection: CassandraConnection): tls.ConnectionOptions | undefined {
  if (!connection.tls) return undefined;
  const names = [...new Set(connection.contactPoints.map(contactHost).filter((host) => isIP(host) === 0))];
  const options: tls.ConnectionOptions = {
    rejectUnauthorized: !connection.tls.insecure,
    ...(connection.tls.caCertificate ? { ca: [connection.tls.caCertificate] } : {}),
  };
  if (names.length === 0) return options;
  return {
    ...options,
    servername: names[0],
    checkServerIdentity: (_address, certificate) => {
      const failures = names.map((name) => tls.checkServerIdentity(name, certificate));
      return failures.some((failure) => failure === undefined) ? undefined : failures[0];
    },
  };
}

/**
 * The driver's options for a connection. Protocol v4 is the newest Azure Cosmos DB for Apache Cassandra speaks,
 * and a real node speaks it too, so both are driven the same way.
 */
export function cassandraClientOptions(connection: CassandraConnection): cassandra.ClientOptions {
  const sslOptions = sslOptionsFor(connection);
  return {
    contactPoints: connection.contactPoints,
    localDataCenter: connection.localDataCenter,
    protocolOptions: { maxVersion: cassandra.types.protocolVersion.v4 },
    // Rows are read and written back as they are: maps must keep their keys' types (see row-encoding.ts).
    encoding: rowEncoding,
    // A copy's reads must see every write acknowledged before it, and its writes must survive a replica's
    // loss, whatever the cluster's size: quorums in the local data center (one node: the node itself).
    queryOptions: { consistency: cassandra.types.consistencies.localQuorum },
    ...(connection.username !== undefined
      ? {
          authProvider: new cassandra.auth.PlainTextAuthProvider(
            connection.username,
            connection.password ?? "",
          ),
        }
      : {}),
    ...(sslOptions ? { sslOptions } : {}),
  };
}

/** The per-host reasons of a failed connect (the driver tries every contact point). */
function hostFailures(error: unknown): unknown[] {
  if (error instanceof cassandra.errors.NoHostAvailableError) {
    return Object.values((error.innerErrors ?? {}) as Record<string, unknown>);
  }
  return [error];
}

const tlsFailure =
  /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_)/;

/** A failed connect explained with the contact points and the fix; never with the password. */
function explainConnectFailure(error: unknown, connection: CassandraConnection): CopyJobError {
  const where = `the Cassandra cluster at ${connection.contactPoints.join(", ")}`;
  const failures = hostFailures(error);
  const details = { field: "account" };
  if (failures.some((failure) => failure instanceof cassandra.errors.AuthenticationError)) {
    return new CopyJobError(
      "Unauthorized",
      `${where} refused the credentials of user '${connection.username ?? ""}'.`,
      connection.username === undefined
        ? "It requires a user name and password: set CASSANDRA_USERNAME and CASSANDRA_PASSWORD."
        : "Check CASSANDRA_USERNAME and CASSANDRA_PASSWORD (for Azure Cosmos DB for Apache Cassandra: the account name and its primary password).",
      details,
    );
  }
  const dataCenterMismatch = failures.find(
    (failure): failure is Error =>
      failure instanceof cassandra.errors.ArgumentError && /localDataCenter/.test(failure.message),
  );
  if (dataCenterMismatch) {
    return new CopyJobError(
      "InvalidCassandraSetting",
      `${where} has no data center '${connection.localDataCenter}' (${dataCenterMismatch.message}).`,
      "Set CASSANDRA_LOCAL_DATA_CENTER to one of the cluster's data centers (for Azure: the account's region, e.g. 'West Europe').",
      details,
    );
  }
  const codes = failures
    .map((failure) => (failure as { code?: unknown } | undefined)?.code)
    .filter((code): code is string => typeof code === "string");
  const tlsCode = codes.find((code) => tlsFailure.test(code));
  if (tlsCode) {
    return new CopyJobError(
      "UntrustedCertificate",
      `The TLS handshake with ${where} failed (${tlsCode}).`,
      connection.tls
        ? "Check that the cluster speaks TLS on that port, and set CASSANDRA_CA_FILE to the certificate authority that signed its certificate (CASSANDRA_INSECURE_TLS=1 skips the check, for test clusters only)."
        : "Check that the port is the cluster's CQL port.",
      details,
    );
  }
  const reason = codes[0] ?? (error instanceof Error ? error.message : String(error));
  return new CopyJobError("EndpointUnreachable", `Cannot reach ${where} (${reason}).`, startTheNode, details);
}

/**
 * cassandra-driver 4.10.0 keeps its control connection's socket open when `connect()` fails after that
 * connection was made (a local data center the cluster does not have, for one), and `shutdown()` leaves it
 * open too, which would keep a CLI process alive forever after the error. Closes it through the driver's
 * internals; does nothing if a later version no longer has them.
 */
function closeControlConnection(client: cassandra.Client): void {
  const { controlConnection } = client as unknown as {
    controlConnection?: { connection?: { close?: () => void } | null };
  };
  controlConnection?.connection?.close?.();
}

/** A connected client, or an error that names the contact points and the fix. The caller shuts it down. */
export async function openCassandraClient(connection: CassandraConnection): Promise<cassandra.Client> {
  const client = new cassandra.Client(cassandraClientOptions(connection));
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    closeControlConnection(client);
    throw explainConnectFailure(error, connection);
  }
}
