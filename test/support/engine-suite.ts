import type { Database } from "@azure/cosmos";
import { CopyJobs, stateDatabaseId, type AccountConnection } from "../../engine";
import { openEndpoint, uniqueName, type LocalOptions, type TestEndpoint } from "./cosmos-endpoint";

/** The engine's connection to a test endpoint, trusting the certificate its SDK client trusts. */
export function connectionOf(cosmos: TestEndpoint): AccountConnection {
  const agentCa = (cosmos.clientOptions.agent as { options?: { ca?: string } } | undefined)?.options?.ca;
  return { endpoint: cosmos.endpoint, key: cosmos.key, caCertificate: agentCa };
}

/**
 * What a suite of the engine's API needs: an endpoint, the engine's connection to it, `CopyJobs` on it and
 * a database of the suite's own. `close` removes what the suite made there (its database and the jobs'
 * state database) and stops the endpoint.
 */
export interface EngineSuite {
  cosmos: TestEndpoint;
  connection: AccountConnection;
  jobs: CopyJobs;
  database: Database;
  close(): Promise<void>;
}

export async function openEngineSuite(
  databasePrefix: string,
  local: LocalOptions = {},
): Promise<EngineSuite> {
  const cosmos = await openEndpoint(local);
  const connection = connectionOf(cosmos);
  const jobs = CopyJobs.connect(connection);
  const { database } = await cosmos.client.databases.create({ id: uniqueName(databasePrefix) });
  return {
    cosmos,
    connection,
    jobs,
    database,
    async close() {
      jobs.dispose();
      await database.delete().catch(() => undefined);
      await cosmos.client
        .database(stateDatabaseId)
        .delete()
        .catch(() => undefined);
      await cosmos.stop();
    },
  };
}
