import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CopyJobs } from "../engine";
import { ContainerCopyJob } from "../sdk";
import { openEndpoint, tempDir, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  createPulumiTestEnvironment,
  stackRunningItsProgram,
  type PulumiTestEnvironment,
} from "./support/pulumi-toolchain";
import { assertTransformedItems, referenceTransform } from "./support/same-items";
import { seedTenants, syntheticKeyModule } from "./support/tenants";

/**
 * `ContainerCopyJob` with a `transform`, deployed by a real Pulumi engine: `up` copies through the module
 * (named by a path relative to the program's directory) and outputs what it skipped; editing the module
 * file is a change that replaces the job.
 */
const items = 600;
const moduleText = `${syntheticKeyModule}
exports.withoutTenant0 = (item) => (item.tenantId === "tenant-0" ? undefined : exports.transform(item));
`;

describe("ContainerCopyJob with a transform, through a real Pulumi engine", function () {
  this.timeout(PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS);
  let cosmos: TestEndpoint;
  let environment: PulumiTestEnvironment;
  let modules: string;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // its workers run on this machine, where the module is
    environment = await createPulumiTestEnvironment();
    cosmos = await openEndpoint({ partitions: 2 });
    process.env.COSMOS_COPY_IDLE_TIMEOUT_MS = "3000";
    modules = tempDir("pulumi-transform");
    const { database } = await cosmos.client.databases.create({ id: "tenants" });
    const { container: source } = await database.containers.create({
      id: "by-tenant",
      partitionKey: { paths: ["/tenantId"] },
      throughput: 20000,
    });
    await database.containers.create({
      id: "by-user",
      partitionKey: { paths: ["/tenantUser"] },
      throughput: 20000,
    });
    await seedTenants(source, items);
  });

  after(async function () {
    await cosmos?.stop();
    environment?.dispose();
    if (modules) fs.rmSync(modules, { recursive: true, force: true });
  });

  it("up copies through the module and outputs skippedCount; an edit of the module replaces the job", async function () {
    const file = path.join(modules, "keys.js");
    fs.writeFileSync(file, moduleText);
    const certificate = (cosmos.clientOptions.agent as { options?: { ca?: string } }).options?.ca;
    const deployed = await stackRunningItsProgram(
      {
        stackName: "transform",
        projectName: "container-copy-job-transform-test",
        program: async () => {
          const job = new ContainerCopyJob("by-user", {
            account: {
              endpoint: cosmos.endpoint,
              key: new pulumi.Config().requireSecret("cosmosKey"),
              caCertificate: certificate,
            },
            source: { database: "tenants", container: "by-tenant" },
            destination: { database: "tenants", container: "by-user" },
            // Relative to the program's directory, which is this process's.
            transform: { module: path.relative(process.cwd(), file), exportName: "withoutTenant0" },
          });
          return { status: job.status, processed: job.processedCount, skipped: job.skippedCount };
        },
      },
      environment.workspaceOptions,
    );
    await deployed.setConfig("cosmosKey", { value: cosmos.key, secret: true });
    const result = await deployed.up();
    assert.equal(result.outputs.status.value, "Completed");
    const source = cosmos.client.database("tenants").container("by-tenant");
    const target = cosmos.client.database("tenants").container("by-user");
    const counts = await assertTransformedItems(source, target, referenceTransform(file, "withoutTenant0"));
    assert.deepEqual(
      [result.outputs.processed.value, result.outputs.skipped.value],
      [counts.written, counts.skipped],
    );
    const jobs = CopyJobs.connect({ endpoint: cosmos.endpoint, key: cosmos.key, caCertificate: certificate });
    try {
      const job = await jobs.get("by-user");
      assert.deepEqual([job.transform?.module, job.transform?.exportName], [file, "withoutTenant0"]);
    } finally {
      jobs.dispose();
    }

    fs.appendFileSync(file, "// edited\n");
    const previewed = await deployed.preview();
    assert.equal(previewed.changeSummary.replace, 1, JSON.stringify(previewed.changeSummary));
  });
});
