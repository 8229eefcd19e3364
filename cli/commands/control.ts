import type { Command } from "commander";
import type { CopyJobs, JobRecord } from "../../engine";
import { jobNameOption } from "../arguments";
import { examples } from "../help";
import { formatJobs } from "../output";
import { withSession } from "../session";

/** The commands that change a job's state, each printing the job as it is afterwards (as az does). */
const transitions: {
  name: string;
  summary: string;
  description: string;
  run: (jobs: CopyJobs, name: string) => Promise<JobRecord>;
}[] = [
  {
    name: "pause",
    summary: "pause a pending or running job",
    description:
      "Pause a pending or running job; its checkpoints are kept, so `resume` continues where it stopped.",
    run: (jobs, name) => jobs.pause(name),
  },
  {
    name: "resume",
    summary: "resume a paused or failed job",
    description:
      "Resume a paused job, or a failed one once its cause is fixed: it queues again, carries on from its checkpoints, and runs when the account's earlier jobs are done. A failed job is refused while a container is missing, when the target holds fewer items than were copied into it (it was deleted and created again), or after the write region changed (then delete it and create it again). Starts a background worker if none is running.",
    run: (jobs, name) => jobs.resume(name),
  },
  {
    name: "cancel",
    summary: "cancel a job",
    description: "Cancel a pending, running or paused job. Items already copied stay in the destination.",
    run: (jobs, name) => jobs.cancel(name),
  },
  {
    name: "complete",
    summary: "complete an online job",
    description:
      "Complete an online job (stop it taking changes and finish). Offline jobs, the only mode this engine runs, complete on their own, so for them this is an error.",
    run: (jobs, name) => jobs.complete(name),
  },
];

export function registerControl(program: Command): void {
  for (const transition of transitions) {
    program
      .command(transition.name)
      .summary(transition.summary)
      .description(transition.description)
      .addOption(jobNameOption())
      .addHelpText("after", examples(`cosmos-copy ${transition.name} --job-name orders-v2`))
      .action((options: { jobName: string }, command: Command) =>
        withSession(command, async (session) => {
          const job = await transition.run(session.jobs, options.jobName);
          process.stdout.write(formatJobs(job, session.output));
        }),
      );
  }

  program
    .command("delete")
    .summary("delete a job's record")
    .description(
      "Delete a job's record and checkpoints, cancelling it first if it is still going. Never touches the source or destination containers or their items.",
    )
    .addOption(jobNameOption())
    .addHelpText("after", examples("cosmos-copy delete --job-name orders-v2"))
    .action((options: { jobName: string }, command: Command) =>
      withSession(command, async (session) => {
        await session.jobs.get(options.jobName);
        await session.jobs.delete(options.jobName);
        if (session.output === "table") {
          process.stdout.write(
            `Deleted copy job '${options.jobName}'; its containers and items are untouched.\n`,
          );
        }
      }),
    );
}
