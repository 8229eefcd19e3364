import type { Command } from "commander";
import { jobNameOption } from "../arguments";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs, tsvColumns } from "../output";
import { withSession } from "../session";

/** `list` and `show`: read jobs; `show --watch` follows one until it ends. */
export function registerInspect(program: Command): void {
  program
    .command("list")
    .summary("list the account's (or the cluster's) copy jobs")
    .description(
      `List the copy jobs of the account (or the Cassandra cluster) in creation order. TSV columns: ${tsvColumns}.`,
    )
    .addHelpText("after", examples("cosmos-copy list", "cosmos-copy list --output tsv | cut -f1,2"))
    .action((_options: object, command: Command) =>
      withSession(command, async (session) => {
        process.stdout.write(formatJobs(await session.jobs.list(), session.output, session.api));
      }),
    );

  program
    .command("show")
    .summary("show a copy job")
    .description(
      "Show a copy job. With --watch, follow it until it ends, showing its progress: exit 0 if it completes, " +
        "1 if it fails or is cancelled; Ctrl-C stops watching and leaves the job running. An online job ends only " +
        "after `complete`: until then --watch shows its phase and lag as it tails the source's changes.",
    )
    .addOption(jobNameOption())
    .option("--watch", "follow the job until it ends, showing its progress")
    .addHelpText(
      "after",
      examples("cosmos-copy show --job-name orders-v2", "cosmos-copy show --job-name orders-v2 --watch"),
    )
    .action((options: { jobName: string; watch?: boolean }, command: Command) =>
      withSession(command, async (session) => {
        const job = options.watch
          ? await followJob(session, options.jobName)
          : await session.jobs.get(options.jobName);
        process.stdout.write(formatJobs(job, session.output));
        if (options.watch) requireCompleted([job]);
      }),
    );
}
