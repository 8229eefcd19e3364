import type { Command } from "commander";
import { CopyJobs } from "../engine";
import { connectionFlags, connectionFrom, type ConnectionOptions } from "./connection";
import type { OutputFormat } from "./output";

interface GlobalOptions extends ConnectionOptions {
  output: OutputFormat;
}

/** What a job command works with: the account's jobs, the output format, and how to re-attach to a job. */
export interface Session {
  jobs: CopyJobs;
  output: OutputFormat;
  /** `cosmos-copy show --job-name J --watch`, with the connection flags this run was given. */
  watchCommand(jobName: string): string;
  /** `cosmos-copy complete --job-name J --wait`, likewise. */
  completeCommand(jobName: string): string;
}

export async function withSession(command: Command, run: (session: Session) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const jobs = CopyJobs.connect(await connectionFrom(options));
  const commandLine = (name: string, jobName: string, flag: string) =>
    ["cosmos-copy", ...connectionFlags(options), name, "--job-name", jobName, flag].join(" ");
  try {
    await run({
      jobs,
      output: options.output,
      watchCommand: (jobName) => commandLine("show", jobName, "--watch"),
      completeCommand: (jobName) => commandLine("complete", jobName, "--wait"),
    });
  } finally {
    jobs.dispose();
  }
}
