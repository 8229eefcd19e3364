import { Option, type Command } from "commander";
import {
  defaultCopyOptions,
  isTailing,
  type JobControl,
  jobModes,
  jobSpecProblems,
  optionLimits,
  type ContainerRef,
  type JobMode,
  type JobRecord,
  type JobSpec,
  type TableRef,
  type ThroughputLimit,
  type TransformSpec,
  type VerificationMode,
  verificationModes,
} from "../../engine";
import {
  containerRef,
  jobNameOption,
  specProblemsError,
  tableRef,
  throughputLimitArgument,
  transformArgument,
  wholeNumberIn,
} from "../arguments";
import { planCassandraCopy } from "../cassandra-plan";
import { cassandraSpecFrom } from "../cassandra-spec";
import { addSourceAccountOptions, type SourceConnectionOptions } from "../connection";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import type { JobsApi } from "../jobs-api";
import { formatJobs } from "../output";
import { formatCassandraPlan, formatPlan } from "../plan-output";
import { withCassandraSession, withNoSqlSession, type Session } from "../session";

/**
 * `create`: like `az cosmosdb copy create`. A NoSQL job (`--src-nosql`/`--dest-nosql`) belongs to the
 * destination's account (--endpoint), the source is in it too unless --src-endpoint names another. A
 * Cassandra job (`--src-cassandra`/`--dest-cassandra`) copies a table into another of the same cluster
 * (--contact-points), where it lives.
 */
export interface CreateOptions extends SourceConnectionOptions {
  jobName: string;
  srcNosql?: Partial<ContainerRef>;
  destNosql?: Partial<ContainerRef>;
  srcCassandra?: Partial<TableRef>;
  destCassandra?: Partial<TableRef>;
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

/** The two pairs of table flags, NoSQL's and Cassandra's, by their option names. */
const tableFlags: Record<JobsApi, [name: keyof CreateOptions, flag: string][]> = {
  NoSQL: [
    ["srcNosql", "--src-nosql"],
    ["destNosql", "--dest-nosql"],
  ],
  Cassandra: [
    ["srcCassandra", "--src-cassandra"],
    ["destCassandra", "--dest-cassandra"],
  ],
};

/**
 * A job copies NoSQL containers or Cassandra tables: the first flag of either pair makes that pair the
 * required one (NoSQL's when neither is given, as before Cassandra), and a flag of the other pair is refused
 * as soon as it is parsed.
 */
function choosePairWhileParsing(create: Command): void {
  const byApi = Object.entries(tableFlags);
  for (const [api, flags] of byApi) {
    const others = byApi.filter(([other]) => other !== api).flatMap(([, pair]) => pair);
    for (const [, flag] of flags) {
      create.on(`option:${flag.slice(2)}`, () => {
        const mixed = others.find(([name]) => create.getOptionValue(name) !== undefined);
        if (mixed) {
          create.error(
            `error: ${mixed[1]} and ${flag} cannot be mixed: a job copies NoSQL containers (--src-nosql with --dest-nosql) or Cassandra tables (--src-cassandra with --dest-cassandra). Give one pair.`,
            { exitCode: 2, code: "cosmos-copy.mixedApis" },
          );
        }
        for (const option of create.options) {
          const name = option.attributeName();
          if (flags.some(([own]) => own === name)) option.makeOptionMandatory(true);
          if (others.some(([other]) => other === name)) option.makeOptionMandatory(false);
        }
      });
    }
  }
}

export function registerCreate(program: Command): void {
  const create = program
    .command("create")
    .summary("create a container (or Cassandra table) copy job")
    .description(
      "Create a container copy job and start a background worker for it if none is running. The destination " +
        "container must already exist. Offline (the default): do not write to the source while the job runs; " +
        "it completes on its own. Online: the application keeps writing; the job copies what the source holds, " +
        "then applies its changes (creates, replaces, deletes) until you run `complete`. The source needs a " +
        "change feed policy (on Azure, an account with continuous backup). With --src-endpoint the source is in " +
        "another account: the job and its state stay in the destination's (--endpoint), and its workers get " +
        "the source account's key too. With --src-cassandra and --dest-cassandra it copies a Cassandra table " +
        "into another table of the same cluster (--contact-points or CASSANDRA_CONTACT_POINTS), which may have " +
        "another primary key; the job lives in that cluster. A Cassandra copy is Offline (stop writing to the " +
        "source table) and verifies in full; of the tuning options it takes --worker-count and --page-size.",
    )
    .addOption(jobNameOption())
    .requiredOption("--src-nosql <database=D container=C...>", "source container", containerRef.parse)
    .requiredOption("--dest-nosql <database=D container=C...>", "destination container", containerRef.parse)
    .option(
      "--src-cassandra <keyspace=K table=T...>",
      "source Cassandra table, instead of --src-nosql (a Cassandra copy: Offline, into a table of the same cluster)",
      tableRef.parse,
    )
    .option(
      "--dest-cassandra <keyspace=K table=T...>",
      "destination Cassandra table, with --src-cassandra",
      tableRef.parse,
    )
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
      `items (Cassandra: rows) per page and checkpoint (${optionLimits.pageSize.min}-${optionLimits.pageSize.max}, default ${defaultCopyOptions.pageSize})`,
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
        "check everything create checks, then print what the copy would take (items, size, estimated RU and time; for Cassandra both tables' keys and the source's row count, counted by reading it whole) and create nothing",
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
        "cosmos-copy create --job-name orders-by-day --contact-points 10.0.0.5:9042 --src-cassandra keyspace=shop table=orders --dest-cassandra keyspace=shop table=orders_by_day --worker-count 2 --wait",
      ),
    );
  choosePairWhileParsing(create);
  addSourceAccountOptions(create).action((options: CreateOptions, command: Command) => {
    if (options.srcCassandra !== undefined || options.destCassandra !== undefined) {
      // Checked before the session, which is before anything is contacted.
      const spec = cassandraSpecFrom(options);
      return withCassandraSession(command, async (session, connection) => {
        if (options.dryRun) {
          const plan = await planCassandraCopy(session.jobs, connection, spec);
          process.stdout.write(formatCassandraPlan(plan, session.output));
          return;
        }
        await reportCreated(session, await session.jobs.create(spec), options);
      });
    }
    return withNoSqlSession(command, async (session) => {
      const spec: JobSpec = {
        name: options.jobName,
        source: containerRef.require("--src-nosql", options.srcNosql),
        destination: containerRef.require("--dest-nosql", options.destNosql),
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
      await reportCreated(session, await session.jobs.create(spec), options);
    });
  });
}

/** The job just created, printed at once, or (with --wait) once it ended or tails the source's changes. */
async function reportCreated(
  session: Session<JobControl>,
  created: JobRecord,
  options: Pick<CreateOptions, "wait">,
): Promise<void> {
  for (const warning of created.preflight?.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  if (!options.wait) {
    process.stdout.write(formatJobs(created, session.output, session.api));
    return;
  }
  const followed = await followJob(session, created.name, isTailing);
  process.stdout.write(formatJobs(followed, session.output, session.api));
  if (isTailing(followed)) reportTailing(session, followed);
  else requireCompleted([followed]);
}

/** An online job waited for until it tails: say that it goes on, and how to end it. */
function reportTailing(session: Session, job: JobRecord): void {
  process.stderr.write(
    `Job '${job.name}' copied what the source held and keeps applying its changes in the background until you complete it. ` +
      `Stop the application's writes to the source, then run:\n  ${session.completeCommand(job.name)}\n`,
  );
}
