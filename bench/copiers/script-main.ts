import { createCosmosClient } from "../../engine/connection";
import { workerEnvironment } from "../../engine/worker-process";
import { processCpuSeconds } from "../measure/cpu-time";
import { copyNaively } from "./naive";
import { writeFromMemory } from "./raw-writes";
import { copyWithBulkOperations } from "./tuned-bulk";
import type { ScriptReport, ScriptTask } from "./script-process";

/**
 * Entry point of a script copier's process: the task as JSON in argv[2], the endpoint and key in the
 * environment under a worker's names. The bench checks the target itself afterwards; the script reports its
 * own CPU time on stdout, as it is gone from /proc once the bench learns it has ended.
 */
async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]) as ScriptTask;
  const client = createCosmosClient({
    endpoint: process.env[workerEnvironment.endpoint] ?? "",
    key: process.env[workerEnvironment.key] ?? "",
  });
  try {
    const target = client.database(task.target.database).container(task.target.container);
    if (task.copier === "raw-writes") {
      await writeFromMemory(target, task.sourceId, task.items);
    } else {
      const source = client.database(task.source.database).container(task.source.container);
      if (task.copier === "naive") await copyNaively(source, target);
      else await copyWithBulkOperations(source, target, task.targetPartitionKeyPath);
    }
  } finally {
    client.dispose();
  }
  const report: ScriptReport = { cpuSeconds: processCpuSeconds(process.pid) };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench script copier: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
