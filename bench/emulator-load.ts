import {
  BulkOperationType,
  ChangeFeedStartFrom,
  StatusCodes,
  type Container,
  type FeedRange,
  type JSONObject,
} from "@azure/cosmos";
import { Command, InvalidArgumentError } from "commander";
import { withoutSystemProperties } from "../engine/documents";
import { createContainer, createSeededSource, targetPartitionKeyPath } from "./dataset";
import { openBenchEndpoint } from "./endpoint";
import { LatencyProbe, type LatencyReport } from "./measure/endpoint-latency";

/**
 * `node dist/bench/emulator-load.js --items N`: how responsive the endpoint stays under a copy's load. Seeds
 * a large source, then drains its change feed per feed range in pages of 1000, bulk-upserting every page
 * into a target, while a LatencyProbe times metadata calls and point reads on a small database of its own
 * and the source is counted with `SELECT VALUE COUNT(1)`. Prints one JSON object.
 */
interface Options {
  items: number;
  partitions: number;
}

function wholeNumber(value: string): number {
  const parsed = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`'${value}' is not a count.`);
  return parsed;
}

const log = (line: string) =>
  process.stderr.write(`[load ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: Math.round(performance.now() - started) / 1000 };
}

async function copyRange(source: Container, target: Container, range: FeedRange): Promise<number> {
  const iterator = source.items.getChangeFeedIterator<Record<string, unknown>>({
    changeFeedStartFrom: ChangeFeedStartFrom.Beginning(range),
    maxItemCount: 1000,
  });
  let copied = 0;
  for (;;) {
    const page = await iterator.readNext();
    if (page.statusCode === StatusCodes.NotModified) return copied;
    if (page.result.length === 0) continue;
    await target.items.executeBulkOperations(
      page.result.map((item) => ({
        operationType: BulkOperationType.Upsert,
        partitionKey: item.category as string,
        resourceBody: withoutSystemProperties(item) as JSONObject,
      })),
    );
    copied += page.result.length;
  }
}

async function countOf(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
  return resources[0];
}

async function probeWhile(probe: LatencyProbe, work: Promise<unknown>): Promise<LatencyReport> {
  probe.start();
  // The probe stops even when the work fails, so the process can exit.
  const [settled] = await Promise.allSettled([work]);
  const report = await probe.stop();
  if (settled.status === "rejected") throw settled.reason;
  return report;
}

async function main(): Promise<void> {
  const options = new Command()
    .option("--items <n>", "items of 1 KB in the large source", wholeNumber, 200_000)
    .option("--partitions <n>", "physical partitions per container", wholeNumber, 4)
    .parse()
    .opts<Options>();
  const bench = await openBenchEndpoint(options.partitions);
  try {
    const { database } = await bench.client.databases.create({ id: "load" });
    log(`seeding ${options.items} items`);
    const seeding = await timed(() => createSeededSource(database, "source", options.items, 1_000_000));
    const source = seeding.value;
    const target = await createContainer(database, "target", targetPartitionKeyPath, 1_000_000);
    const { database: small } = await bench.client.databases.create({ id: "probe" });
    const smallContainer = await createContainer(small, "small", "/pk", 400);
    await smallContainer.items.create({ id: "probe-item", pk: "probe" });
    const targets = { database: "probe", container: "small", itemId: "probe-item", partitionKey: "probe" };

    log("idle probe");
    const idle = new LatencyProbe(bench.client, targets);
    const idleLatency = await probeWhile(idle, new Promise((resolve) => setTimeout(resolve, 3000)));

    log("change-feed drain with bulk upserts and a count of the source, probing");
    const ranges = await source.getFeedRanges();
    const loaded = new LatencyProbe(bench.client, targets);
    const drain = timed(() => Promise.all(ranges.map((range) => copyRange(source, target, range))));
    const count = timed(() => countOf(source));
    const loadedLatency = await probeWhile(loaded, Promise.all([drain, count]));
    const copied = (await drain).value.reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `${JSON.stringify({
        items: options.items,
        partitions: options.partitions,
        seedSeconds: seeding.seconds,
        countSeconds: (await count).seconds,
        counted: (await count).value,
        drainSeconds: (await drain).seconds,
        copied,
        idle: idleLatency,
        underLoad: loadedLatency,
      })}\n`,
    );
  } finally {
    await bench.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator-load: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
