import { Option, type Command } from "commander";
import {
  defaultCopyOptions,
  jobSpecProblems,
  optionLimits,
  type ContainerRef,
  type JobSpec,
  type ThroughputLimit,
  type VerificationMode,
  verificationModes,
} from "../../engine";
import {
  containerRefPairs,
  jobNameOption,
  requireContainerRef,
  specProblemsError,
  throughputLimitArgument,
  wholeNumberIn,
} from "../arguments";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs } from "../output";
import { formatPlan } from "../plan-output";
import { withSession } from "../session";

/** `create`: like `az cosmosdb copy create`, for containers in one account. */
interface CreateOptions {
  jobName: string;
  srcNosql: Partial<ContainerRef>;
  destNosql: Partial<ContainerRef>;
  pageSize?: number;
  workerCount?: number;
  targetThroughputLimit?: ThroughputLimit;
  sourceThroughputLimit?: ThroughputLimit;
  verificationMode?: VerificationMode;
  wait?: boolean;
  dryRun?: boolean;
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
    .option(
      "--target-throughput-limit <ru|percent%>",
      "most RU/s the copy's writes may spend in the destination: RU/s (1500) or a share of its provisioned throughput (25%); default all of it",
      throughputLimitArgument,
    )
    .option(
      "--source-throughput-limit <ru|percent%>",
      "most RU/s the copy's change-feed reads may spend in the source, as above; default no cap",
      throughputLimitArgument,
    )
    .addOption(
      new Option(
        "--verification-mode <mode>",
        `the closing check: "sampled" counts both sides and compares a sample of items; "full" reads the whole destination once more and compares checksums of every item (default ${defaultCopyOptions.verificationMode})`,
      ).choices(verificationModes),
    )
    .option("--wait", "wait for the job to end, showing its progress; exit 0 if it completes, 1 if not")
    .addOption(
      new Option(
        "--dry-run",
        "check everything create checks, then print what the copy would take (items, size, estimated RU and time) and create nothing",
      ).conflicts("wait"),
    )
    .addHelpText(
      "after",
      examples(
        "cosmos-copy create --job-name orders-v2 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v2 --wait",
        "cosmos-copy create --job-name orders-v3 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v3 --worker-count 2 --target-throughput-limit 50% --source-throughput-limit 2000",
        "cosmos-copy create --job-name orders-v3 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v3 --target-throughput-limit 50% --dry-run",
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
            ...(options.targetThroughputLimit
              ? { targetThroughputLimit: options.targetThroughputLimit }
              : {}),
            ...(options.sourceThroughputLimit
              ? { sourceThroughputLimit: options.sourceThroughputLimit }
              : {}),
            ...(options.verificationMode ? { verificationMode: options.verificationMode } : {}),
          },
        };
        const problems = jobSpecProblems(spec);
        if (problems.length > 0) throw specProblemsError(problems);
        if (options.dryRun) {
          process.stdout.write(formatPlan(await session.jobs.plan(spec), session.output));
          return;
        }
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
