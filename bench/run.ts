import { Command, InvalidArgumentError } from "commander";
import * as os from "node:os";
import { compareCopiers } from "./comparison";
import { tunedSettings } from "./copiers/tuned-bulk";
import { storedItemBytes } from "./dataset";
import { openBenchEndpoint } from "./endpoint";
import { timeControlPlane, type ControlPlaneTimes } from "./measure/control-plane";
import { describeMachine } from "./measure/machine";
import { copyForMemory, type MemoryRun } from "./measure/memory";
import { describeRevision } from "./measure/revision";
import { recopiesAfterKill } from "./measure/recopies";
import { copyAtBudget } from "./measure/ru-budget";
import {
  figuresOf,
  renderJson,
  renderMarkdown,
  renderTable,
  type BenchResults,
  type Measurements,
} from "./report";
import { writeResultsFile } from "./results-file";
import { Scenario } from "./scenario";

/**
 * `npm run bench`: the engine against a naive copier and a tuned SDK script on the same data and endpoint,
 * then RU efficiency at a fixed budget, re-copies after a SIGKILL, the control plane's latency and memory
 * on a large copy. Progress goes to stderr; stdout gets the table and, last, one JSON line.
 */
interface Options {
  items: number;
  memoryItems: number;
  budget: number;
  throughput: number;
  partitions: number;
  controlPlane: boolean;
  writeResults: boolean;
}

function wholeNumber(value: string): number {
  const parsed = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return parsed;
}

function parseOptions(): Options {
  return new Command()
    .name("bench")
    .description("Benchmarks the copy engine against a naive copier and a tuned @azure/cosmos script.")
    .option("--items <n>", "items in the source of the throughput, budget and kill runs", wholeNumber, 20000)
    .option("--memory-items <n>", "items the memory run copies (0 skips it)", wholeNumber, 1_000_000)
    .option("--budget <ru>", "RU/s of the target in the budget and kill runs", wholeNumber, 4000)
    .option(
      "--throughput <ru>",
      "RU/s of every other container: far above what the endpoint can take, so no budget binds",
      wholeNumber,
      1_000_000,
    )
    .option("--partitions <n>", "physical partitions per container (local emulator only)", wholeNumber, 4)
    .option("--no-control-plane", "skip timing pulumi preview and refresh")
    .option("--write-results", "write bench/RESULTS.md from this run", false)
    .parse()
    .opts<Options>();
}

const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function measure(scenario: Scenario, options: Options): Promise<Measurements> {
  const comparison = await compareCopiers(scenario, log);
  log(`engine against a ${options.budget} RU/s target`);
  const budget = await copyAtBudget(scenario, options.budget);
  log("engine worker killed with SIGKILL mid-copy, then restarted");
  const recopy = await recopiesAfterKill(scenario, options.budget);
  let controlPlane: ControlPlaneTimes | undefined;
  if (options.controlPlane) {
    log("control plane: pulumi up, then preview and refresh");
    controlPlane = await timeControlPlane(scenario, 3);
  }
  // Last: a copy too large for the endpoint is reported rather than fatal, and its job stays queued.
  let memory: MemoryRun | undefined;
  if (options.memoryItems > 0) {
    log(`memory run: seeding and copying ${options.memoryItems} items`);
    memory = await copyForMemory(scenario, options.memoryItems);
  }
  return { ...comparison, budget, recopy, memory, controlPlane };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const machine = describeMachine();
  // Read before the run: other work may commit to the same tree while it goes on.
  const revision = describeRevision();
  const bench = await openBenchEndpoint(options.partitions);
  let scenario: Scenario | undefined;
  try {
    log(`endpoint: ${bench.description}; load average ${machine.loadAtStart.toFixed(2)}`);
    log(`seeding ${options.items} items of ${storedItemBytes()} bytes`);
    scenario = await Scenario.create(bench, options.items, options.throughput);
    const measurements = await measure(scenario, options);
    machine.loadAtEnd = os.loadavg()[0];
    const results: BenchResults = {
      ...measurements,
      machine,
      revision,
      endpoint: bench.description,
      command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
      itemBytes: storedItemBytes(),
      tunedSettings,
    };
    const figures = figuresOf(results);
    if (options.writeResults) log(`wrote ${await writeResultsFile(renderMarkdown(results, figures))}`);
    process.stdout.write(`${renderTable(results, figures)}\n${renderJson(figures)}\n`);
  } finally {
    await scenario?.close();
    await bench.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
