import { Command, InvalidArgumentError } from "commander";
import * as os from "node:os";
import { compareCopiers } from "./comparison";
import { tunedSettings } from "./copiers/tuned-bulk";
import { storedItemBytes } from "./dataset";
import { openBenchEndpoint } from "./endpoint";
import { timeControlPlane, type ControlPlaneTimes } from "./measure/control-plane";
import { describeMachine } from "./measure/machine";
import { copyForMemory, type MemoryRun } from "./measure/memory";
import { copyOnlineUnderWrites, type OnlineRun } from "./measure/online";
import { describeRevision } from "./measure/revision";
import { recopiesAfterKill } from "./measure/recopies";
import { copyAtRate } from "./measure/ru-budget";
import {
  figuresOf,
  renderJson,
  renderMarkdown,
  renderTable,
  type BenchResults,
  type Measurements,
} from "./report";
import { renderChart } from "./results-chart";
import { writeResultsFile } from "./results-file";
import { Scenario } from "./scenario";
import { openBenchCluster } from "./cassandra/cluster";
import { compareTableCopiers } from "./cassandra/comparison";
import {
  cassandraFigures,
  renderCassandraMarkdown,
  renderCassandraTable,
  type CassandraResults,
} from "./cassandra/report";
import { CassandraScenario } from "./cassandra/scenario";
import type { Machine } from "./measure/machine";

/**
 * `npm run bench`: the engine against a naive copier, a tuned SDK script and the endpoint's raw write ceiling
 * on the same data and endpoint, then RU efficiency at a fixed budget with one and two workers, a job's own
 * RU/s cap, re-copies after a SIGKILL, an online copy under an application's writes, the control plane's
 * latency, and memory and the endpoint's latency on a large copy; then, on a Cassandra cluster, the engine
 * against a tuned `executeConcurrent` script copying a table into one keyed otherwise. Progress goes to
 * stderr; stdout gets the tables and, last, one JSON line.
 */
interface Options {
  items: number;
  memoryItems: number;
  budget: number;
  capTarget: number;
  cap: number;
  capItems: number;
  onlineItems: number;
  onlineSeconds: number;
  onlineInFlight: number;
  throughput: number;
  partitions: number;
  controlPlane: boolean;
  cassandraRows: number;
  cassandraRuns: number;
  writeResults: boolean;
}

function wholeNumber(value: string): number {
  const parsed = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = wholeNumber(value);
  if (parsed === 0) throw new InvalidArgumentError(`'${value}' must be at least 1.`);
  return parsed;
}

function parseOptions(): Options {
  return (
    new Command()
      .name("bench")
      .description("Benchmarks the copy engine against a naive copier and a tuned @azure/cosmos script.")
      .option(
        "--items <n>",
        "items in the source of the throughput, budget and kill runs (0 skips every NoSQL run)",
        wholeNumber,
        100_000,
      )
      .option("--memory-items <n>", "items the memory run copies (0 skips it)", wholeNumber, 1_000_000)
      .option("--budget <ru>", "RU/s of the target in the budget and kill runs", wholeNumber, 4000)
      .option("--cap-target <ru>", "RU/s of the target in the cap run", wholeNumber, 10_000)
      .option("--cap <ru>", "RU/s the cap run's job limits its writes to", wholeNumber, 1500)
      // At 1,500 RU/s a 1 KB item costs about 6 RU with its share of checkpoints: 20,000 items take ~80 s,
      // long enough for the slow start to weigh little, where the main source would take over 6 minutes.
      .option("--cap-items <n>", "items the cap run copies (its own source)", wholeNumber, 20_000)
      .option(
        "--online-items <n>",
        "items in the online run's source (its own, with a change feed policy; 0 skips the run)",
        wholeNumber,
        20_000,
      )
      .option(
        "--online-seconds <s>",
        "how long the application writes while the online job tails",
        positiveNumber,
        20,
      )
      .option(
        "--online-in-flight <n>",
        "the application's operations in flight at most (it writes as fast as they allow)",
        positiveNumber,
        16,
      )
      .option(
        "--throughput <ru>",
        "RU/s of every other container: above what the endpoint can take, so no budget binds (the endpoint gives a container a partition per 10,000 RU/s, as the service does)",
        wholeNumber,
        100_000,
      )
      .option("--partitions <n>", "physical partitions per container (local emulator only)", wholeNumber, 4)
      .option("--no-control-plane", "skip timing pulumi preview and refresh")
      .option(
        "--cassandra-rows <n>",
        "rows in the Cassandra table the engine and the tuned executeConcurrent script copy (0 skips it); the cluster is CASSANDRA_CONTACT_POINTS' or the project's node",
        wholeNumber,
        50_000,
      )
      .option(
        "--cassandra-runs <n>",
        "times the Cassandra comparison runs on the same source (the figures are the runs' medians)",
        positiveNumber,
        1,
      )
      .option(
        "--write-results",
        "write bench/RESULTS.md from this run (a part it skipped, NoSQL or Cassandra, is kept as it was)",
        false,
      )
      .parse()
      .opts<Options>()
  );
}

const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/**
 * Runs one phase after the comparison; a phase that cannot run (an endpoint that stalls, a job that fails) is
 * reported with its reason in `failures`, and the bench goes on with the next.
 */
async function phase<T>(
  failures: Record<string, string>,
  name: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  log(name);
  try {
    return await run();
  } catch (error) {
    failures[name] = error instanceof Error ? error.message : String(error);
    log(`${name} could not run: ${failures[name]}`);
    return undefined;
  }
}

async function measure(scenario: Scenario, options: Options): Promise<Measurements> {
  const comparison = await compareCopiers(scenario, log);
  const failures: Record<string, string> = {};
  const atBudget = (workers: number) => () =>
    copyAtRate(scenario, { name: `engine-budget-${workers}`, provisioned: options.budget, workers });
  const budget = await phase(
    failures,
    `engine, 1 worker, against a ${options.budget} RU/s target`,
    atBudget(1),
  );
  const budgetTwoWorkers = await phase(
    failures,
    `engine, 2 workers, against a ${options.budget} RU/s target`,
    atBudget(2),
  );
  const cap = await phase(
    failures,
    `engine capped at ${options.cap} RU/s on a ${options.capTarget} RU/s target, ${options.capItems} items`,
    async () =>
      copyAtRate(scenario, {
        name: "engine-cap",
        provisioned: options.capTarget,
        cap: options.cap,
        workers: 1,
        source: await scenario.seed("cap-source", options.capItems),
      }),
  );
  const recopy = await phase(failures, "engine worker killed with SIGKILL mid-copy, then restarted", () =>
    recopiesAfterKill(scenario, options.budget),
  );
  let online: OnlineRun | undefined;
  if (options.onlineItems > 0) {
    const plan = {
      items: options.onlineItems,
      writeSeconds: options.onlineSeconds,
      inFlight: options.onlineInFlight,
    };
    online = await phase(
      failures,
      `online copy of ${plan.items} items while an application writes for ${plan.writeSeconds} s, ${plan.inFlight} operations in flight`,
      () => copyOnlineUnderWrites(scenario, plan),
    );
  }
  let controlPlane: ControlPlaneTimes | undefined;
  if (options.controlPlane) {
    controlPlane = await phase(failures, "control plane: pulumi up, then preview and refresh", () =>
      timeControlPlane(scenario, 3),
    );
  }
  // Last: a copy too large for the endpoint is reported rather than fatal, and its job stays queued.
  let memory: MemoryRun | undefined;
  if (options.memoryItems > 0) {
    memory = await phase(failures, `memory run: seeding and copying ${options.memoryItems} items`, () =>
      copyForMemory(scenario, options.memoryItems),
    );
  }
  return { ...comparison, budget, budgetTwoWorkers, cap, recopy, online, memory, controlPlane, failures };
}

/** What every part of the report says it was measured on. */
interface RunContext {
  machine: Machine;
  revision: string;
  command: string;
}

/** The NoSQL runs, on the bench's endpoint; returns the results and their figures. */
async function benchNoSql(options: Options, context: RunContext) {
  const bench = await openBenchEndpoint(options.partitions);
  let scenario: Scenario | undefined;
  try {
    log(`endpoint: ${bench.description}; load average ${context.machine.loadAtStart.toFixed(2)}`);
    log(`seeding ${options.items} items of ${storedItemBytes()} bytes`);
    scenario = await Scenario.create(bench, options.items, options.throughput);
    const measurements = await measure(scenario, options);
    const results: BenchResults = {
      ...measurements,
      machine: { ...context.machine, loadAtEnd: os.loadavg()[0] },
      revision: context.revision,
      endpoint: bench.description,
      command: context.command,
      itemBytes: storedItemBytes(),
      tunedSettings,
    };
    return { results, figures: figuresOf(results) };
  } finally {
    await scenario?.close();
    await bench.stop();
  }
}

/** The Cassandra tables' comparison, on the cluster the environment names or the project's node. */
async function benchTables(rows: number, runs: number, context: RunContext) {
  const cluster = await openBenchCluster();
  let scenario: CassandraScenario | undefined;
  try {
    log(`cluster: ${cluster.description}; load average ${os.loadavg()[0].toFixed(2)}`);
    log(`seeding ${rows} rows into a Cassandra table`);
    scenario = await CassandraScenario.create(cluster, rows);
    const results: CassandraResults = { ...(await compareTableCopiers(scenario, runs, log)), ...context };
    return { results, figures: cassandraFigures(results) };
  } finally {
    await scenario?.close();
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.items === 0 && options.cassandraRows === 0) {
    throw new Error(
      "--items 0 and --cassandra-rows 0 leave nothing to measure: give either a number of rows.",
    );
  }
  const context: RunContext = {
    machine: describeMachine(),
    // Read before the run: other work may commit to the same tree while it goes on.
    revision: describeRevision(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
  };
  const nosql = options.items > 0 ? await benchNoSql(options, context) : undefined;
  let tables: Awaited<ReturnType<typeof benchTables>> | undefined;
  let tablesFailure: string | undefined;
  if (options.cassandraRows > 0) {
    try {
      tables = await benchTables(options.cassandraRows, options.cassandraRuns, context);
    } catch (error) {
      // The NoSQL figures, long to measure, are reported all the same.
      tablesFailure = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`the Cassandra tables could not be measured: ${tablesFailure}`);
    }
  }
  if (options.writeResults) {
    const chart = nosql && renderChart(nosql.results);
    const written = await writeResultsFile({
      nosql: nosql && {
        markdown: renderMarkdown(nosql.results, nosql.figures, chart !== undefined),
        chart,
      },
      cassandra: tables && renderCassandraMarkdown(tables.results, tables.figures),
    });
    log(`wrote ${written.join(" and ")}`);
  }
  const sections = [
    nosql && renderTable(nosql.results, nosql.figures),
    tables && renderCassandraTable(tables.results, tables.figures),
    tablesFailure && `NOT RUN: Cassandra tables: ${tablesFailure.split("\n")[0]}`,
  ].filter((section) => section !== undefined);
  const figures = { ...nosql?.figures, ...tables?.figures };
  process.stdout.write(`${sections.join("\n\n")}\n${renderJson(figures)}\n`);
  if (tablesFailure) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
