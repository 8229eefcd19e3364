import { cassandraConnectionFromEnvironment, openCassandraClient } from "../../engine/cassandra/connection";
import { processCpuSeconds } from "../measure/cpu-time";
import type { ScriptReport } from "../copiers/script-process";
import { copyByTokenRanges, type TableNames, type TokenRangeCopySettings } from "./token-range-copy";

/**
 * Entry point of the tuned table script's process: the task as JSON in argv[2], the cluster in the
 * CASSANDRA_* variables, its client built as the engine builds its own (same encoding, same consistency), so
 * both copiers talk to the cluster alike. It reports its own CPU time as its last line on stdout.
 */
export type TokenRangeCopyTask = TableNames & { settings: TokenRangeCopySettings };

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]) as TokenRangeCopyTask;
  const connection = cassandraConnectionFromEnvironment();
  if (!connection)
    throw new Error("CASSANDRA_CONTACT_POINTS is not set: the bench gives the script its cluster.");
  const client = await openCassandraClient(connection);
  try {
    await copyByTokenRanges(client, task, task.settings);
  } finally {
    await client.shutdown();
  }
  const report: ScriptReport = { cpuSeconds: processCpuSeconds(process.pid) };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench table script: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
