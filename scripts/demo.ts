import { CosmosClient } from "@azure/cosmos";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { pulumiCommand, pulumiToolchainBinDir } from "../test/support/pulumi-toolchain";
import { seedContainer } from "../test/support/seed";
import { exampleProgram } from "./example-program";

/**
 * `npm run demo`: the product end to end on this machine. Starts cosmos-emulator, seeds `shop/orders`,
 * and runs a real `pulumi up` of examples/local (a ContainerCopyJob into a container with another
 * partition key) with the project's Pulumi CLI and a local file backend, then shows what was copied.
 * Each run starts from fresh state under .state/demo.
 */
const repoRoot = path.resolve(__dirname, "..", "..");
const demoState = path.join(repoRoot, ".state", "demo");
const sourceItems = Number(process.env.DEMO_ITEMS ?? 20000);

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  fs.rmSync(demoState, { recursive: true, force: true });
  fs.mkdirSync(path.join(demoState, "pulumi"), { recursive: true });

  say("▶ building or finding the Pulumi CLI (built from Go modules, cached by version)");
  const binDir = pulumiToolchainBinDir();
  const cli = await pulumiCommand();

  const emulator = await startEmulator({ dataDir: path.join(demoState, "cosmos"), partitions: 4 });
  say(`▶ cosmos-emulator ready at ${emulator.endpoint} (HTTPS, 4 partitions per container)`);
  const client = new CosmosClient({
    endpoint: emulator.endpoint,
    key: emulator.key,
    agent: new https.Agent({ ca: emulator.certificate, keepAlive: true }),
  });
  try {
    const { database } = await client.databases.createIfNotExists({ id: "shop" });
    const { container: orders } = await database.containers.createIfNotExists({
      id: "orders",
      partitionKey: { paths: ["/pk"] },
      throughput: 40000,
    });
    const seeded = performance.now();
    await seedContainer(orders, { count: sourceItems, partitionKeys: 500, itemBytes: 1000 });
    say(
      `▶ seeded shop/orders: ${sourceItems} items of ~1 KB, partition key /pk (${Math.round(performance.now() - seeded)} ms)`,
    );

    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "demo", projectName: "cosmos-copy-local", program: exampleProgram("local") },
      {
        pulumiCommand: cli,
        envVars: {
          PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
          PULUMI_BACKEND_URL: `file://${path.join(demoState, "pulumi")}`,
          PULUMI_HOME: path.join(demoState, "pulumi-home"),
          PULUMI_CONFIG_PASSPHRASE: "pulumi-cosmos-copy-demo",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          COSMOS_COPY_IDLE_TIMEOUT_MS: "5000",
        },
      },
    );
    await stack.setAllConfig({
      endpoint: { value: emulator.endpoint },
      key: { value: emulator.key, secret: true },
      caCertificate: { value: emulator.certificate ?? "" },
    });
    say("▶ pulumi preview (examples/local): what will be created, and the copy's plan");
    await stack.preview({ onOutput: (text) => process.stdout.write(text) });
    say("▶ pulumi up (examples/local): target shop/orders-by-customer, partition key /customerId");
    const deployed = performance.now();
    const result = await stack.up({ onOutput: (text) => process.stdout.write(text) });
    const upMs = performance.now() - deployed;

    const target = database.container("orders-by-customer");
    const { resources: count } = await target.items.query<number>("SELECT VALUE COUNT(1) FROM c").fetchAll();
    const { resources: sample } = await target.items
      .query({ query: "SELECT TOP 3 c.id, c.customerId, c.pk, c.total FROM c" })
      .fetchAll();
    const outputs = Object.fromEntries(Object.entries(result.outputs).map(([name, o]) => [name, o.value]));
    say("");
    say(`✔ job ${outputs.jobName}: ${outputs.status}, copied ${outputs.copied} of ${outputs.total} items`);
    say(
      `✔ shop/orders-by-customer now holds ${count[0]} items; verification: ${JSON.stringify(outputs.verification)}`,
    );
    say(`✔ sample: ${JSON.stringify(sample)}`);
    say(
      `✔ pulumi up took ${(upMs / 1000).toFixed(1)} s (${Math.round(sourceItems / (upMs / 1000))} items/s end to end); demo total ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (outputs.status !== "Completed" || count[0] !== sourceItems) process.exitCode = 1;
  } finally {
    client.dispose();
    await emulator.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
