import type { CosmosClient } from "@azure/cosmos";
import type { Command } from "commander";
import { CopyJobError, jobSpecProblems, terminalStatuses, type JobRecord, type JobSpec } from "../../engine";
import { specProblemsError } from "../arguments";
import { followJob, requireCompleted } from "../follow";
import { examples } from "../help";
import { formatJobs } from "../output";
import { chosenJobsApi } from "../jobs-api";
import { withNoSqlSession, type GlobalOptions } from "../session";
import { UsageError } from "../usage-error";

/**
 * `copy-database`: one job per container, as the service copies containers only. All of the checks run
 * before the first job is created, so a missing target container leaves the account as it was.
 */
interface CopyDatabaseOptions {
  srcDatabase: string;
  destDatabase: string;
  jobNamePrefix?: string;
  wait?: boolean;
}

async function containerNames(client: CosmosClient, role: "source" | "destination", database: string) {
  try {
    const { resources } = await client.database(database).containers.readAll().fetchAll();
    return resources.map((container) => container.id);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 404) throw error;
    throw new CopyJobError(
      "OwnerResourceNotFound",
      `Owner resource does not exist: the ${role} database '${database}' was not found (404, substatus 1003).`,
      role === "source"
        ? "Check the database name with your account's Data Explorer or `az cosmosdb sql database list`."
        : "Create it, and in it a container for each source container, then run copy-database again.",
      { statusCode: 404, substatus: 1003, field: role },
    );
  }
}

function sameContainers(job: JobRecord, spec: JobSpec): boolean {
  return [
    [job.source, spec.source],
    [job.destination, spec.destination],
  ].every(([a, b]) => a.database === b.database && a.container === b.container);
}

/** Job names allow fewer characters than database and container names; the others become '-'. */
function jobNameFor(prefix: string, container: string): string {
  return prefix + container.replace(/[^A-Za-z0-9._-]/g, "-");
}

export function registerCopyDatabase(program: Command): void {
  program
    .command("copy-database")
    .summary("copy every container of a database, one job per container")
    .description(
      "Create one copy job per container of --src-database (a Cosmos DB NoSQL database), each into the container of the same name in " +
        "--dest-database. Every destination container must already exist: if any is missing, no job is " +
        "created and each missing one is listed. Jobs run one at a time, in creation order.",
    )
    .requiredOption("--src-database <name>", "database whose containers are copied")
    .requiredOption("--dest-database <name>", "database holding a same-named container for each")
    .option("--job-name-prefix <prefix>", "jobs are named <prefix><container> (default '<src>-to-<dest>-')")
    .option("--wait", "wait for every job to end, showing progress; exit 0 if all complete, 1 if not")
    .addHelpText(
      "after",
      examples("cosmos-copy copy-database --src-database shop --dest-database shop-v2 --wait"),
    )
    .action((options: CopyDatabaseOptions, command: Command) => {
      if (chosenJobsApi(command.optsWithGlobals<GlobalOptions>()) === "Cassandra") {
        throw new UsageError(
          "copy-database copies the containers of a Cosmos DB NoSQL database; it does not work on a Cassandra cluster. Copy each table with its own job: cosmos-copy create --job-name <name> --src-cassandra keyspace=K table=T --dest-cassandra keyspace=K table=T2.",
        );
      }
      return withNoSqlSession(command, async (session) => {
        const { srcDatabase, destDatabase } = options;
        if (srcDatabase === destDatabase) {
          throw new UsageError(
            `--src-database and --dest-database are both '${srcDatabase}': a container cannot be copied into itself; give another destination database.`,
          );
        }
        const client = session.jobs.client;
        const sources = await containerNames(client, "source", srcDatabase);
        if (sources.length === 0) {
          throw new CopyJobError(
            "NothingToCopy",
            `Database '${srcDatabase}' has no containers: there is nothing to copy.`,
          );
        }
        const targets = new Set(await containerNames(client, "destination", destDatabase));
        const missing = sources.filter((name) => !targets.has(name));
        if (missing.length > 0) {
          const names = missing.map((name) => `'${name}'`).join(", ");
          throw new CopyJobError(
            "OwnerResourceNotFound",
            `Owner resource does not exist: the destination database '${destDatabase}' has no container ${names} (404, substatus 1003). No jobs were created.`,
            `Create ${missing.length === 1 ? "it" : "each of them"} in '${destDatabase}' first (with the partition key you want), then run copy-database again.`,
            { statusCode: 404, substatus: 1003, field: "destination" },
          );
        }

        const prefix = options.jobNamePrefix ?? jobNameFor("", `${srcDatabase}-to-${destDatabase}-`);
        const specs: JobSpec[] = sources.map((container) => ({
          name: jobNameFor(prefix, container),
          source: { database: srcDatabase, container },
          destination: { database: destDatabase, container },
        }));
        const problems = specs.flatMap((spec) => jobSpecProblems(spec));
        if (problems.length > 0) throw specProblemsError(problems);
        const existing = new Map((await session.jobs.list()).map((job) => [job.name, job]));
        const taken = specs.filter((spec) => {
          const job = existing.get(spec.name);
          return job !== undefined && !sameContainers(job, spec);
        });
        if (taken.length > 0) {
          throw new UsageError(
            `Job names ${taken.map((spec) => `'${spec.name}'`).join(", ")} are taken by jobs that copy other containers. No jobs were created: pass another --job-name-prefix.`,
          );
        }

        const created: JobRecord[] = [];
        let workerStarted = false;
        for (const spec of specs) {
          // One background worker serves every job; asking for one per job would start a burst of them,
          // since a new worker takes a moment to report in. (A job that already ended starts none.)
          const job = await session.jobs.create(spec, { startWorker: !workerStarted });
          workerStarted ||= !terminalStatuses.includes(job.status);
          created.push(job);
        }
        if (!options.wait) {
          process.stdout.write(formatJobs(created, session.output));
          return;
        }
        const finished: JobRecord[] = [];
        for (const job of created) finished.push(await followJob(session, job.name));
        process.stdout.write(formatJobs(finished, session.output));
        requireCompleted(finished);
      });
    });
}
