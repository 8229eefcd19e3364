import { resumeRefusal, type JobRecord } from "../engine";
import { progressDisplay } from "./progress";
import type { Session } from "./session";

/** Half the interval at which workers record progress, so every recorded step shows promptly. */
const pollIntervalMs = 500;

/**
 * `create --wait`, `complete --wait` and `show --watch`: poll a job until it ends (or `until` holds of it),
 * showing its progress. Ctrl-C only detaches: the job runs on in its worker, so the user is told so and how
 * to re-attach, and the command exits with 130 like any interrupted one.
 */
export async function followJob(
  session: Session,
  name: string,
  until?: (job: JobRecord) => boolean,
): Promise<JobRecord> {
  const display = progressDisplay();
  const detach = () => {
    display.stop();
    process.stderr.write(
      `\nDetached: job '${name}' keeps running in the background. Watch it again with:\n  ${session.watchCommand(name)}\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", detach);
  try {
    return await session.jobs.wait(name, {
      pollIntervalMs,
      onProgress: (job) => display.update(job),
      startWorkerIfNone: true,
      sourceAccount: session.sourceAccount,
      until,
    });
  } finally {
    process.removeListener("SIGINT", detach);
    display.stop();
  }
}

function outcomeProblem(job: JobRecord): string | undefined {
  const recreate = `delete it (cosmos-copy delete --job-name ${job.name}) and create it again`;
  switch (job.status) {
    case "Completed":
      return undefined;
    case "Cancelled":
      return `Job '${job.name}' was cancelled after copying ${job.processedCount} of ${job.totalCount} items. To copy again, ${recreate}.`;
    default: {
      const fix = resumeRefusal(job)
        ? `It cannot be resumed: ${recreate}.`
        : `Fix the cause, then resume it from its checkpoints (cosmos-copy resume --job-name ${job.name}).`;
      return `Job '${job.name}' ended ${job.status}${job.error ? ` with ${job.error.code}: ${job.error.message}` : "."} ${fix}`;
    }
  }
}

/** A followed job that did not complete fails the command (exit 1), saying why and what to do about it. */
export function requireCompleted(jobs: JobRecord[]): void {
  const problems = jobs.map(outcomeProblem).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}
