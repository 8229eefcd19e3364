import { CosmosClient, type CosmosClientOptions } from "@azure/cosmos";
import * as https from "node:https";
import { accountWords, CopyJobError, type AccountRole } from "./errors";
import type { AccountConnection } from "./types";

/**
 * One retry layer per concern. A 429 on a single request is the SDK's: it waits the server's retry-after,
 * for as long as a busy copy can keep a container busy. Per-operation 429s inside a bulk response are the
 * bulk writer's, which paces and shrinks its window on them. Faults (503, 408, resets) are `withRetries`'s,
 * which never retries a 429.
 */
const throttlingRetries = {
  maxRetryAttemptCount: 120,
  fixedRetryIntervalInMilliseconds: 0,
  maxWaitTimeInSeconds: 300,
};

/**
 * An account endpoint as one spelling (`https://a.documents.azure.com:443` and `…azure.com/` are one
 * account), for telling whether two connections reach the same account. Throws on what is not a URL.
 */
export function accountEndpoint(endpoint: string, role: AccountRole = "account"): string {
  try {
    return new URL(endpoint).toString();
  } catch {
    throw new CopyJobError(
      "InvalidEndpoint",
      `The ${accountWords[role].name} endpoint '${endpoint}' is not a URL.`,
      "Use the account's URI, e.g. https://myaccount.documents.azure.com:443/.",
      { field: role },
    );
  }
}

/**
 * One CosmosClient per account connection, with keep-alive and the TLS trust the caller asked for; `role`
 * says which account it is in the errors about it.
 */
export function createCosmosClient(
  connection: AccountConnection,
  role: AccountRole = "account",
): CosmosClient {
  const url = new URL(accountEndpoint(connection.endpoint, role));
  if (connection.key !== undefined && connection.key.trim() === "") {
    const { name, keySource } = accountWords[role];
    throw new CopyJobError(
      "MissingKey",
      `No ${name} key was given for '${connection.endpoint}'.`,
      `Set ${keySource}, pass the key as a Pulumi secret, or use Azure credentials instead.`,
      { field: role },
    );
  }
  const options: CosmosClientOptions = {
    endpoint: url.toString(),
    userAgentSuffix: "pulumi-cosmos-copy",
    connectionPolicy: { retryOptions: throttlingRetries },
    ...(connection.key !== undefined ? { key: connection.key } : { aadCredentials: connection.credential }),
  };
  if (url.protocol === "https:" && (connection.caCertificate || connection.insecureTls)) {
    options.agent = new https.Agent({
      keepAlive: true,
      ca: connection.caCertificate,
      rejectUnauthorized: !connection.insecureTls,
    });
  }
  return new CosmosClient(options);
}

/** The account's current write region, read fresh from the gateway (the SDK's cache is not consulted). */
export async function readWriteRegion(client: CosmosClient): Promise<string> {
  const { resource } = await client.getDatabaseAccount();
  const region = resource?.writableLocations[0]?.name;
  if (!region) throw new CopyJobError("NoWriteRegion", "The account reports no writable location.");
  return region;
}
