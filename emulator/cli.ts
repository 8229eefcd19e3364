import { Command, InvalidArgumentError } from "commander";
import { startEmulator } from "./server";

/** `cosmos-emulator`: a local Cosmos DB NoSQL endpoint with a real change feed, persisted in --data-dir. */
function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return parsed;
}

async function main(): Promise<void> {
  const program = new Command()
    .name("cosmos-emulator")
    .description(
      "A local Azure Cosmos DB (NoSQL) endpoint with a real change feed, RU throttling and persistence.",
    )
    .requiredOption("--data-dir <dir>", "where databases, items and the TLS certificate are kept")
    .option("--port <port>", "port to listen on (0 picks a free one)", positiveInteger, 8081)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--partitions <n>", "physical partitions per new container", positiveInteger, 1)
    .option("--serverless", "behave as a serverless account (no provisioned throughput)", false)
    .option("--http", "serve plain HTTP instead of HTTPS", false)
    .option("--key-file <file>", "read the account key from this file instead of using the well-known key")
    .option("--write-region <name>", "the account's write region", "South Central US")
    .addHelpText("after", "\nExample:\n  cosmos-emulator --data-dir ./.cosmos --port 8081 --partitions 4\n");
  program.parse();
  const options = program.opts<{
    dataDir: string;
    port: number;
    host: string;
    partitions: number;
    serverless: boolean;
    http: boolean;
    keyFile?: string;
    writeRegion: string;
  }>();
  if (options.partitions < 1) program.error(`--partitions must be at least 1, got ${options.partitions}.`);
  const key = options.keyFile
    ? (await import("node:fs")).readFileSync(options.keyFile, "utf8").trim()
    : undefined;
  const started = performance.now();
  const emulator = await startEmulator({ ...options, key });
  process.stdout.write(
    `cosmos-emulator ready at ${emulator.endpoint} (${options.http ? "http" : "https, self-signed"}; ${options.partitions} partition(s) per container; started in ${Math.round(performance.now() - started)} ms)\n`,
  );
  // A signal handler cannot wait: it stops the emulator, then exits, 1 (with the reason) if stopping failed.
  const shutdown = () =>
    void emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `cosmos-emulator: could not stop: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      },
    );
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`cosmos-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
