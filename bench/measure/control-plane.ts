import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { ContainerCopyJob } from "../../sdk";
import { createPulumiTestEnvironment } from "../../test/support/pulumi-toolchain";
import type { Scenario } from "../scenario";

/**
 * `pulumi preview` and `pulumi refresh` of a stack holding one ContainerCopyJob, through the real Pulumi CLI
 * (the pinned build the tests use) and the Automation API. The stack, copying a small source of its own, is
 * deployed once first, so preview diffs against state and refresh reads a real job; each operation is then
 * timed `repeats` times.
 */
export interface ControlPlaneTimes {
  previewSeconds: number[];
  refreshSeconds: number[];
}

async function seconds(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await operation();
  return (performance.now() - started) / 1000;
}

export async function timeControlPlane(scenario: Scenario, repeats: number): Promise<ControlPlaneTimes> {
  const { bench } = scenario;
  const spec = scenario.spec(
    "bench-control-plane",
    await scenario.target("control-target"),
    await scenario.seed("control-source", 100),
  );
  const environment = await createPulumiTestEnvironment();
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      {
        stackName: "bench",
        projectName: "cosmos-copy-bench",
        program: async () => {
          const job = new ContainerCopyJob("bench-control-plane", {
            account: {
              endpoint: bench.connection.endpoint,
              key: new pulumi.Config().requireSecret("cosmosKey"),
            },
            jobName: spec.name,
            source: spec.source,
            destination: spec.destination,
          });
          return { status: job.status };
        },
      },
      {
        ...environment.workspaceOptions,
        // The worker `up` starts in the background exits as soon as the small copy is done.
        envVars: { ...environment.workspaceOptions.envVars, COSMOS_COPY_IDLE_TIMEOUT_MS: "1000" },
      },
    );
    await stack.setConfig("cosmosKey", { value: bench.connection.key, secret: true });
    await stack.up();
    const times: ControlPlaneTimes = { previewSeconds: [], refreshSeconds: [] };
    for (let i = 0; i < repeats; i++) times.previewSeconds.push(await seconds(() => stack.preview()));
    for (let i = 0; i < repeats; i++) times.refreshSeconds.push(await seconds(() => stack.refresh()));
    await stack.destroy();
    return times;
  } finally {
    environment.dispose();
  }
}
