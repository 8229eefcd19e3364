import type { Command } from "commander";
import {
  defaultCopyOptions,
  jobSpecProblems,
  optionLimits,
  type ContainerRef,
  type JobSpec,
} from "../../engine";
import {
  containerRefPairs,
  jobNameOption,
  requireContainerRef,
  specProblemsError,
  wholeNumberIn,
} from "../arguments";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs } from "../output";
import { withSession } from "../session";

/** `create`: like `az cosmosdb copy create`, for containers in one account. */
interface CreateOptions {
  jobName: string;
  srcNosql: Partial<ContainerRef>;
  destNosql: Partial<ContainerRef>;
  pageSize?: number;
  workerCount?: number;
  wait?: boolean;
}

export function registerCreate(program: Command): void {
  program
    .command("create")
    .summary("create a container copy job")
    .description(
      "Create an offline container copy job and start a background worker for it if none is running. " +
        "The destination container must already exist; do not write to the source while the job runs.",
    )
    .addOption(jobNameOption())
    .requiredOption("--src-nosql <database=D container=C...>", "source container", containerRefPairs)
    .requiredOption("--dest-nosql <database=D container=C...>", "destination container", containerRefPairs)
    .option(
      "--page-size <n>",
      `items per change-feed page and checkpoint (${optionLimits.pageSize.min}-${optionLimits.pageSize.max}, default ${defaultCopyOptions.pageSize})`,
      wholeNumberIn(optionLimits.pageSize),
    )
    .option(
      "--worker-count <n>",
      `workers the job wants (${optionLimits.workerCount.min}-${optionLimits.workerCount.max}, default ${defaultCopyOptions.workerCount})`,
      wholeNumberIn(optionLimits.workerCount),
    )
    .option("--wait", "wait for the job to end, showing its progress; exit 0 if it completes, 1 if not")
    .addHelpText(
      "after",
      examples(
        "cosmos-copy create --job-name orders-v2 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v2 --wait",
      ),
    )
    .action((options: CreateOptions, command: Command) =>
      withSession(command, async (session) => {
        const spec: JobSpec = {
          name: options.jobName,
          source: requireContainerRef("--src-nosql", options.srcNosql),
          destination: requireContainerRef("--dest-nosql", options.destNosql),
          options: {
            ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
            ...(options.workerCount !== undefined ? { workerCount: options.workerCount } : {}),
          },
        };
        const problems = jobSpecProblems(spec);
        if (problems.length > 0) throw specProblemsError(problems);
        const created = await session.jobs.create(spec);
        if (!options.wait) {
          process.stdout.write(formatJobs(created, session.output));
          return;
        }
        const finished = await followJob(session, created.name);
        process.stdout.write(formatJobs(finished, session.output));
        requireCompleted([finished]);
      }),
    );
}
