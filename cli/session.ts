import type { Command } from "commander";
import { CopyJobs, type AccountConnection } from "../engine";
import {
  accountFlagsTyped,
  connectionFrom,
  sourceConnectionFrom,
  sourceFlagsTyped,
  type ConnectionOptions,
  type SourceConnectionOptions,
} from "./connection";
import type { OutputFormat } from "./output";

interface GlobalOptions extends ConnectionOptions, SourceConnectionOptions {
  output: OutputFormat;
}

/** What a job command works with: the account's jobs, the output format, and how to re-attach to a job. */
export interface Session {
  jobs: CopyJobs;
  output: OutputFormat;
  /**
   * The source account's connection, on commands that take `--src-endpoint` and were given it: a
   * cross-account job's source, which its workers read.
   */
  sourceAccount?: AccountConnection;
  /** `cosmos-copy show --job-name J --watch`, with the connection flags this run was given. */
  watchCommand(jobName: string): string;
  /** `cosmos-copy complete --job-name J --wait`, likewise (and the source account's flags). */
  completeCommand(jobName: string): string;
}

export async function withSession(command: Command, run: (session: Session) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const sourceAccount = await sourceConnectionFrom(options);
  const jobs = CopyJobs.connect(await connectionFrom(options));
  const commandLine = (name: string, jobName: string, ...flags: string[]) =>
    ["cosmos-copy", ...accountFlagsTyped(options), name, "--job-name", jobName, ...flags].join(" ");
  try {
    await run({
      jobs,
      output: options.output,
      sourceAccount,
      watchCommand: (jobName) => commandLine("show", jobName, "--watch"),
      completeCommand: (jobName) => commandLine("complete", jobName, ...sourceFlagsTyped(options), "--wait"),
    });
  } finally {
    jobs.dispose();
  }
}
