import { Option, type Command } from "commander";
import {
  defaultCopyOptions,
  isTailing,
  jobModes,
  jobSpecProblems,
  optionLimits,
  type ContainerRef,
  type JobMode,
  type JobRecord,
  type JobSpec,
  type ThroughputLimit,
  type TransformSpec,
  type VerificationMode,
  verificationModes,
} from "../../engine";
import {
  containerRefPairs,
  jobNameOption,
  requireContainerRef,
  specProblemsError,
  throughputLimitArgument,
  transformArgument,
  wholeNumberIn,
} from "../arguments";
import { addSourceAccountOptions } from "../connection";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs } from "../output";
import { formatPlan } from "../plan-output";
import { withSession, type Session } from "../session";

/**
 * `create`: like `az cosmosdb copy create`: the job belongs to the destination's account (--endpoint), the
 * source is in it too unless --src-endpoint names another.
 */
interface CreateOptions {
  jobName: string;
  srcNosql: Partial<ContainerRef>;
  destNosql: Partial<ContainerRef>;
  mode: JobMode;
  pageSize?: number;
  workerCount?: number;
  targetThroughputLimit?: ThroughputLimit;
  sourceThroughputLimit?: ThroughputLimit;
  verificationMode?: VerificationMode;
  transform?: TransformSpec;
  wait?: boolean;
  dryRun?: boolean;
}

export function registerCreate(program: Command): void {
  const create = program
    .command("create")
    .summary("create a container copy job")
    .description(
      "Create a container copy job and start a background worker for it if none is running. The destination " +
        "container must already exist. Offline (the default): do not write to the source while the job runs; " +
        "it completes on its own. Online: the application keeps writing; the job copies what the source holds, " +
        "then applies its changes (creates, replaces, deletes) until you run `complete`. The source needs a " +
        "change feed policy (on Azure, an account with continuous backup). With --src-endpoint the source is in " +
        "another account: the job and its state stay in the destination's (--endpoint), and its workers get " +
        "the source account's key too.",
    )
    .addOption(jobNameOption())
    .requiredOption("--src-nosql <database=D container=C...>", "source container", containerRefPairs)
    .requiredOption("--dest-nosql <database=D container=C...>", "destination container", containerRefPairs)
    .addOption(
      new Option(
        "--mode <mode>",
        "Offline: copy a source nobody writes to; Online: keep applying the source's changes until `complete`",
      )
        .choices(jobModes)
        .default("Offline"),
    )
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
    .option(
      "--transform <module[#export]>",
      "a JavaScript module (CommonJS .js/.cjs, or .mjs) whose export (default 'transform') each item goes through before it is written: it returns the item to write (e.g. with a derived partition key) or undefined to skip it; the path is resolved against the current directory",
      transformArgument,
    )
    .option(
      "--wait",
      "wait, showing progress: an offline job until it ends, an online job until it tails the source's changes (it keeps running until `complete`); exit 0 if it got there, 1 if not",
    )
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
        "cosmos-copy create --job-name orders-v4 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v4 --mode Online --wait",
        "cosmos-copy create --job-name orders-by-user --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-by-user --transform ./synthetic-key.js#transform --wait",
        "cosmos-copy create --job-name orders-moved --src-endpoint https://oldaccount.documents.azure.com:443/ --src-key-file ~/.cosmos/oldaccount.key --src-nosql database=shop container=orders --dest-nosql database=shop container=orders --wait",
      ),
    );
  addSourceAccountOptions(create).action((options: CreateOptions, command: Command) =>
    withSession(command, async (session) => {
      const spec: JobSpec = {
        name: options.jobName,
        source: requireContainerRef("--src-nosql", options.srcNosql),
        destination: requireContainerRef("--dest-nosql", options.destNosql),
        ...(session.sourceAccount ? { sourceAccount: session.sourceAccount } : {}),
        mode: options.mode,
        ...(options.transform ? { transform: options.transform } : {}),
        options: {
          ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
          ...(options.workerCount !== undefined ? { workerCount: options.workerCount } : {}),
          ...(options.targetThroughputLimit ? { targetThroughputLimit: options.targetThroughputLimit } : {}),
          ...(options.sourceThroughputLimit ? { sourceThroughputLimit: options.sourceThroughputLimit } : {}),
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
      for (const warning of created.preflight?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
      if (!options.wait) {
        process.stdout.write(formatJobs(created, session.output));
        return;
      }
      const followed = await followJob(session, created.name, isTailing);
      process.stdout.write(formatJobs(followed, session.output));
      if (isTailing(followed)) reportTailing(session, followed);
      else requireCompleted([followed]);
    }),
  );
}

/** An online job waited for until it tails: say that it goes on, and how to end it. */
function reportTailing(session: Session, job: JobRecord): void {
  process.stderr.write(
    `Job '${job.name}' copied what the source held and keeps applying its changes in the background until you complete it. ` +
      `Stop the application's writes to the source, then run:\n  ${session.completeCommand(job.name)}\n`,
  );
}
