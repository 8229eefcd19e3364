import type { Command } from "commander";
import { CopyWorker } from "../../engine";
import { CassandraBackend } from "../../engine/cassandra/backend";
import type { WhereJobsLive } from "../../engine/worker";
import { positiveNumber } from "../arguments";
import { addSourceAccountOptions, type SourceConnectionOptions } from "../connection";
import { examples } from "../help";
import { chosenJobsApi } from "../jobs-api";
import { cassandraHome, nosqlHome, type GlobalOptions } from "../session";

/**
 * `worker`: the engine's worker in the foreground, for running copy compute where you choose (a CI job, a
 * VM near the account) instead of the background process `create` starts. Logs go to stderr.
 */
function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

export function registerWorker(program: Command): void {
  const workerCommand = program
    .command("worker")
    .summary("run a copy worker in the foreground")
    .description(
      "Run a copy worker in the foreground: it runs the account's jobs one at a time, sharing each with any " +
        "other workers, and exits once it has been idle for --idle-timeout-minutes. Ctrl-C stops it after " +
        "the pages in flight are checkpointed. With --src-endpoint it also runs the cross-account jobs whose " +
        "source is in that account (it reads it with the --src-* credentials); without it, it leaves them to " +
        "workers that can. On a Cassandra cluster (--contact-points or CASSANDRA_CONTACT_POINTS) it runs the cluster's jobs.",
    )
    .option(
      "--idle-timeout-minutes <minutes>",
      "exit after this long without work (default 15)",
      positiveNumber,
    )
    .addHelpText(
      "after",
      examples(
        "cosmos-copy worker --idle-timeout-minutes 5",
        "cosmos-copy worker --src-endpoint https://oldaccount.documents.azure.com:443/ --src-key-file ~/.cosmos/oldaccount.key",
        "cosmos-copy worker --contact-points 10.0.0.5:9042,10.0.0.6:9042 --idle-timeout-minutes 5",
      ),
    );
  addSourceAccountOptions(workerCommand).action(
    async (options: { idleTimeoutMinutes?: number } & SourceConnectionOptions, command: Command) => {
      const home: WhereJobsLive =
        chosenJobsApi(command.optsWithGlobals<GlobalOptions>()) === "Cassandra"
          ? { backend: new CassandraBackend(cassandraHome(command)) }
          : await nosqlHome(command);
      const worker = new CopyWorker({
        ...home,
        idleTimeoutMs:
          options.idleTimeoutMinutes !== undefined ? options.idleTimeoutMinutes * 60_000 : undefined,
        log,
      });
      const stop = () => {
        log(`worker ${worker.id} stopping after the pages in flight`);
        worker.stop();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      log(`worker ${worker.id} started`);
      const exit = await worker.run();
      log(`worker ${worker.id} exited (${exit})`);
    },
  );
}
