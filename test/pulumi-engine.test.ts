// Runs real `pulumi up`, `refresh` and `destroy` through the Automation API with the CLI that
// scripts/build-pulumi.sh builds, on an inline program with one dynamic-provider resource: a file.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import {
  PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
  PulumiTestEnvironment,
  createPulumiTestEnvironment,
  stackRunningItsProgram,
} from "./support/pulumi-toolchain";

interface LocalFileState {
  path: string;
  content: string;
}

// The engine runs these hooks in the dynamic-provider plugin process, after serialising them.
const localFileProvider: pulumi.dynamic.ResourceProvider<LocalFileState, LocalFileState> = {
  async create(inputs) {
    await fs.promises.writeFile(inputs.path, inputs.content);
    return { id: inputs.path, outs: inputs };
  },
  async read(id) {
    try {
      const content = await fs.promises.readFile(id, "utf8");
      return { id, props: { path: id, content } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        return {}; // No id: the file is gone, so refresh drops the resource from the state.
      }
      throw e;
    }
  },
  async diff(_id, olds, news) {
    return {
      changes: olds.content !== news.content || olds.path !== news.path,
      replaces: olds.path !== news.path ? ["path"] : [],
    };
  },
  async update(_id, _olds, news) {
    await fs.promises.writeFile(news.path, news.content);
    return { outs: news };
  },
  async delete(id) {
    await fs.promises.rm(id, { force: true });
  },
};

class LocalFile extends pulumi.dynamic.Resource {
  declare public readonly path: pulumi.Output<string>;
  declare public readonly content: pulumi.Output<string>;

  constructor(name: string, args: { path: pulumi.Input<string>; content: pulumi.Input<string> }) {
    super(localFileProvider, name, { ...args }, undefined, undefined, "LocalFile");
  }
}

const FILE_TYPE = "pulumi-nodejs:dynamic:LocalFile";

interface StateResource {
  type: string;
  id?: string;
  outputs?: { [key: string]: unknown };
}

async function stateResources(stack: Stack): Promise<StateResource[]> {
  const state = await stack.exportStack();
  return (state.deployment.resources ?? []) as StateResource[];
}

async function fileResourcesInState(stack: Stack): Promise<StateResource[]> {
  return (await stateResources(stack)).filter((r) => r.type === FILE_TYPE);
}

describe("Pulumi engine (real CLI, Automation API, dynamic provider)", function () {
  let env: PulumiTestEnvironment;
  let stack: Stack;
  let target: string;

  before(async function () {
    this.timeout(PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS);
    env = await createPulumiTestEnvironment();
    target = path.join(env.stateDir, "greeting.txt");
    const program = async () => {
      const file = new LocalFile("greeting", { path: target, content: "hello" });
      return { path: file.path, content: file.content };
    };
    stack = await stackRunningItsProgram(
      { stackName: "engine-test", projectName: "pulumi-engine-test", program },
      { ...env.workspaceOptions },
    );
  });

  after(function () {
    env?.dispose(); // the backend with the stack, and the file it manages
  });

  it("uses the CLI built by scripts/build-pulumi.sh", async function () {
    const version = env.workspaceOptions.pulumiCommand.version;
    assert.ok(version, "the Automation API read the CLI's version");
    assert.equal(env.workspaceOptions.pulumiCommand.command, path.join(env.binDir, "pulumi"));
    assert.equal(stack.workspace.pulumiVersion, version.toString());
  });

  it("up creates the file and records the resource in the stack state", async function () {
    const result = await stack.up();

    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.resourceChanges?.create, 2); // the stack and the file
    assert.deepEqual(
      { path: result.outputs.path.value, content: result.outputs.content.value },
      { path: target, content: "hello" },
    );
    assert.equal(fs.readFileSync(target, "utf8"), "hello");
    const [file, ...others] = await fileResourcesInState(stack);
    assert.equal(others.length, 0);
    assert.equal(file.id, target);
    assert.equal(file.outputs?.content, "hello");
  });

  it("refresh detects a change made out of band", async function () {
    fs.writeFileSync(target, "tampered");

    const result = await stack.refresh();

    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.resourceChanges?.update, 1);
    const [file] = await fileResourcesInState(stack);
    assert.equal(file.outputs?.content, "tampered");
  });

  it("up after refresh puts the file back as the program declares it", async function () {
    const result = await stack.up();

    assert.equal(result.summary.resourceChanges?.update, 1);
    assert.equal(fs.readFileSync(target, "utf8"), "hello");
    const [file] = await fileResourcesInState(stack);
    assert.equal(file.outputs?.content, "hello");
  });

  it("refresh drops the resource when the file is deleted out of band, and up recreates it", async function () {
    fs.rmSync(target);

    const refreshed = await stack.refresh();
    assert.equal(refreshed.summary.resourceChanges?.delete, 1);
    assert.deepEqual(await fileResourcesInState(stack), []);

    const recreated = await stack.up();
    assert.equal(recreated.summary.resourceChanges?.create, 1);
    assert.equal(fs.readFileSync(target, "utf8"), "hello");
    assert.equal((await fileResourcesInState(stack)).length, 1);
  });

  it("destroy deletes the file and empties the stack state", async function () {
    const result = await stack.destroy();

    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.resourceChanges?.delete, 2); // the file and the stack
    assert.equal(fs.existsSync(target), false);
    assert.deepEqual(await stateResources(stack), []);
  });
});
