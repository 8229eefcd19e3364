import type { Command } from "commander";
import type { JobRecord } from "../../engine";
import { jobNameOption } from "../arguments";
import { addSourceAccountOptions } from "../connection";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs } from "../output";
import { withSession, type Session } from "../session";

/** The commands that change a job's state, each printing the job as it is afterwards (as az does). */
const transitions: {
  name: string;
  summary: string;
  description: string;
  run: (session: Session, name: string) => Promise<JobRecord>;
  /** What `--wait` waits for, when the command offers it: the transition only starts the job's way there. */
  wait?: string;
  /** It may start workers: a cross-account job's need the source account's flags. */
  startsWorkers?: boolean;
}[] = [
  {
    name: "pause",
    summary: "pause a pending or running job",
    description:
      "Pause a pending or running job; its checkpoints are kept, so `resume` continues where it stopped.",
    run: (session, name) => session.jobs.pause(name),
  },
  {
    name: "resume",
    summary: "resume a paused or failed job",
    description:
      "Resume a paused job, or a failed one once its cause is fixed: it queues again, carries on from its checkpoints, and runs when the account's earlier jobs are done. A failed job is refused while a container is missing, when the target holds fewer items than were copied into it (it was deleted and created again), or after the write region changed (then delete it and create it again). Starts a background worker if none is running.",
    run: (session, name) => session.jobs.resume(name, { sourceAccount: session.sourceAccount }),
    startsWorkers: true,
  },
  {
    name: "cancel",
    summary: "cancel a job",
    description: "Cancel a pending, running or paused job. Items already copied stay in the destination.",
    run: (session, name) => session.jobs.cancel(name),
  },
  {
    name: "complete",
    summary: "complete an online job",
    description:
      "Cut an online job over: stop the application's writes to the source first. The job applies every change the source logged before this command, verifies the destination against the source, and ends Completed (or Failed on a mismatch); a change made after it is not copied. Offline jobs complete on their own, so for them this is an error.",
    run: (session, name) => session.jobs.complete(name, { sourceAccount: session.sourceAccount }),
    startsWorkers: true,
    wait: "wait for the job to end, showing its progress; exit 0 if it completes, 1 if not",
  },
];

export function registerControl(program: Command): void {
  for (const transition of transitions) {
    const example = `cosmos-copy ${transition.name} --job-name orders-v2`;
    const registered = program
      .command(transition.name)
      .summary(transition.summary)
      .description(transition.description)
      .addOption(jobNameOption())
      .addHelpText("after", examples(example, ...(transition.wait ? [`${example} --wait`] : [])))
      .action((options: { jobName: string; wait?: boolean }, command: Command) =>
        withSession(command, async (session) => {
          const job = await transition.run(session, options.jobName);
          if (!options.wait) {
            process.stdout.write(formatJobs(job, session.output));
            return;
          }
          const ended = await followJob(session, job.name);
          process.stdout.write(formatJobs(ended, session.output));
          requireCompleted([ended]);
        }),
      );
    if (transition.wait) registered.option("--wait", transition.wait);
    if (transition.startsWorkers) addSourceAccountOptions(registered);
  }

  program
    .command("delete")
    .summary("delete a job's record")
    .description(
      "Delete a job's record and checkpoints, cancelling it first if it is still going. Never touches the source or destination containers (or tables) or their items (or rows).",
    )
    .addOption(jobNameOption())
    .addHelpText("after", examples("cosmos-copy delete --job-name orders-v2"))
    .action((options: { jobName: string }, command: Command) =>
      withSession(command, async (session) => {
        await session.jobs.get(options.jobName);
        await session.jobs.delete(options.jobName);
        if (session.output === "table") {
          process.stdout.write(
            `Deleted copy job '${options.jobName}'; its ${session.api === "Cassandra" ? "tables and rows" : "containers and items"} are untouched.\n`,
          );
        }
      }),
    );
}
