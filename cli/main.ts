import { Command, Option } from "commander";
import { registerControl } from "./commands/control";
import { registerCopyDatabase } from "./commands/copy-database";
import { registerCreate } from "./commands/create";
import { registerInspect } from "./commands/inspect";
import { registerWorker } from "./commands/worker";
import { addCassandraOptions } from "./cassandra-connection";
import { authMethods, keyOptionRefusal } from "./connection";
import { reportFailure } from "./failure";
import { examples } from "./help";
import { jobsApiRule } from "./jobs-api";
import { outputFormats } from "./output";

/**
 * `cosmos-copy`: container and table copy jobs managed like `az cosmosdb copy`, on a Cosmos DB NoSQL account
 * or a Cassandra cluster. Global options may come before or after the command; every command's help shows
 * them.
 */
function buildProgram(): Command {
  const program = new Command("cosmos-copy")
    .description(
      "Copy Azure Cosmos DB (NoSQL) containers, or Cassandra tables, with copy jobs, like `az cosmosdb copy`. " +
        jobsApiRule,
    )
    // The commands registered below inherit these three settings.
    .exitOverride()
    .showHelpAfterError("(add --help to see usage and an example)")
    .configureHelp({ showGlobalOptions: true })
    .option("--endpoint <url>", "account endpoint (default: the COSMOS_ENDPOINT environment variable)")
    .option(
      "--key-file <file>",
      "file holding the account key (default: the COSMOS_KEY environment variable)",
    )
    .addOption(
      new Option("--auth <method>", "sign in with the account key, or Entra ID via DefaultAzureCredential")
        .choices(authMethods)
        .default("key"),
    )
    .option(
      "--ca-file <file>",
      "PEM certificate to trust, e.g. a local emulator's or a Cassandra cluster's (for the account NODE_EXTRA_CA_CERTS works too)",
    )
    .option("--insecure-tls", "skip TLS certificate checks: only for a local emulator or test cluster")
    .addOption(new Option("-o, --output <format>", "output format").choices(outputFormats).default("table"))
    .addOption(new Option("--key [key]").hideHelp())
    .addHelpText(
      "after",
      examples(
        "export COSMOS_ENDPOINT=https://myaccount.documents.azure.com:443/ COSMOS_KEY=...",
        "cosmos-copy create --job-name orders-v2 --src-nosql database=shop container=orders --dest-nosql database=shop container=orders-v2 --wait",
        "export CASSANDRA_CONTACT_POINTS=10.0.0.5:9042  # and no COSMOS_ENDPOINT: the commands work on the cluster's jobs",
        "cosmos-copy create --job-name orders-by-day --src-cassandra keyspace=shop table=orders --dest-cassandra keyspace=shop table=orders_by_day --wait",
      ),
    );
  addCassandraOptions(program);
  // Refused as soon as it is parsed, whatever the command, and without echoing its value.
  program.on("option:key", () =>
    program.error(`error: ${keyOptionRefusal}`, { exitCode: 2, code: "cosmos-copy.keyRefused" }),
  );
  registerCreate(program);
  registerInspect(program);
  registerControl(program);
  registerCopyDatabase(program);
  registerWorker(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.exitCode = reportFailure(error);
  });
