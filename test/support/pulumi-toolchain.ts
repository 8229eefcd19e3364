// The pinned Pulumi CLI (built from Go modules by scripts/build-pulumi.sh) and an isolated
// Automation API environment around it, for tests that run real Pulumi operations.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type InlineProgramArgs,
  type LocalWorkspaceOptions,
  type Stack,
} from "@pulumi/pulumi/automation";

/** A cold build of the CLI takes 10–25 minutes; hooks that call into this module need this much time. */
export const PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS = 45 * 60 * 1000;

/** The Automation API options that make a LocalWorkspace use the pinned CLI and throwaway state. */
export interface PulumiWorkspaceOptions {
  /** Environment for every CLI invocation: PATH, backend, PULUMI_HOME, passphrase, NODE_PATH. */
  envVars: { [key: string]: string };
  /** The pinned CLI binary, so the Automation API does not pick up another `pulumi` on PATH. */
  pulumiCommand: PulumiCommand;
  /** An empty directory for the workspace (Pulumi.yaml, stack settings). */
  workDir: string;
}

/** One test run's Pulumi environment; `dispose()` deletes its state. */
export interface PulumiTestEnvironment {
  /** Spread into `LocalWorkspace.createStack(args, { ...env.workspaceOptions })`. */
  readonly workspaceOptions: PulumiWorkspaceOptions;
  /** The bin dir holding `pulumi` and `pulumi-resource-pulumi-nodejs`. */
  readonly binDir: string;
  /** The temporary directory that holds the backend, PULUMI_HOME and the workDir. */
  readonly stateDir: string;
  /** Removes `stateDir`. Destroy or remove stacks first if their resources live elsewhere. */
  dispose(): void;
}

let binDir: string | undefined;
let command: Promise<PulumiCommand> | undefined;

/**
 * Builds the pinned CLI, or finds it in the version-keyed cache (a second run takes about a second),
 * and returns its bin dir. Blocks; the build's progress goes to this process's stderr.
 */
export function pulumiToolchainBinDir(): string {
  if (binDir === undefined) {
    const stdout = execFileSync("bash", [path.join(repoRoot(), "scripts", "build-pulumi.sh")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: PULUMI_TOOLCHAIN_BUILD_TIMEOUT_MS,
    });
    // The script's last line of stdout is the bin dir.
    const lines = stdout.trim().split("\n");
    binDir = lines[lines.length - 1];
  }
  return binDir;
}

/** The Automation API's handle on the pinned CLI (`<root>/bin/pulumi`), checked to be new enough. */
export function pulumiCommand(): Promise<PulumiCommand> {
  command ??= PulumiCommand.get({ root: path.dirname(pulumiToolchainBinDir()) });
  return command;
}

/**
 * Creates a fresh, isolated Pulumi environment: a file backend, PULUMI_HOME and workDir in a new
 * temporary directory, a fixed passphrase, and the pinned CLI first on PATH.
 */
export async function createPulumiTestEnvironment(): Promise<PulumiTestEnvironment> {
  const bin = pulumiToolchainBinDir();
  const pulumi = await pulumiCommand();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-cosmos-copy-test-"));
  const backendDir = path.join(stateDir, "backend");
  const homeDir = path.join(stateDir, "home");
  const workDir = path.join(stateDir, "work");
  for (const dir of [backendDir, homeDir, workDir]) {
    fs.mkdirSync(dir);
  }
  const envVars = {
    PATH: [bin, process.env.PATH].filter(Boolean).join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_HOME: homeDir,
    PULUMI_CONFIG_PASSPHRASE: "pulumi-cosmos-copy-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // The dynamic-provider plugin resolves @pulumi/pulumi from the program's directory: for inline
    // programs the test process's cwd (LocalWorkspace's default project has `main: process.cwd()`),
    // otherwise the project's. Make that work from anywhere, with the copy these tests load.
    NODE_PATH: [nodeModulesOfPulumiSdk(), process.env.NODE_PATH].filter(Boolean).join(path.delimiter),
  };
  return {
    workspaceOptions: { envVars, pulumiCommand: pulumi, workDir },
    binDir: bin,
    stateDir,
    dispose: () => fs.rmSync(stateDir, { recursive: true, force: true }),
  };
}

/** The node_modules directory that this process loads @pulumi/pulumi from. */
function nodeModulesOfPulumiSdk(): string {
  // <node_modules>/@pulumi/pulumi/package.json
  return path.resolve(require.resolve("@pulumi/pulumi/package.json"), "..", "..", "..");
}

/** The repository root: the nearest ancestor of this file with scripts/build-pulumi.sh. */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "scripts", "build-pulumi.sh"))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no scripts/build-pulumi.sh above ${__dirname}`);
    }
  }
}

/** How many times an operation whose program never ran is tried in all. */
const programAttempts = 3;

/**
 * A stack whose `up` and `preview` run again (three times in all at most) when its inline program never
 * ran. Under load the Automation API's inline server can lose the program's first call to the engine
 * (14 UNAVAILABLE in `setRootResource`, before the program body runs); it takes any gRPC error for the
 * engine shutting down and swallows it, so the operation fails, or even succeeds, having declared nothing.
 * Such a run says nothing about the program. (A successful one on a stack that had resources deleted them,
 * as Pulumi deletes what a program no longer declares: a test that compares identities still sees that.)
 */
export async function stackRunningItsProgram(
  args: InlineProgramArgs,
  options: LocalWorkspaceOptions,
): Promise<Stack> {
  let ran = false;
  const program = args.program;
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      ...args,
      program: () => {
        ran = true;
        return program();
      },
    },
    options,
  );
  async function untilProgramRan<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      ran = false;
      const outcome = await operation().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if (ran || attempt === programAttempts) {
        if ("error" in outcome) throw outcome.error;
        return outcome.value;
      }
    }
  }
  const up = stack.up.bind(stack);
  const preview = stack.preview.bind(stack);
  stack.up = (opts) => untilProgramRan(() => up(opts));
  stack.preview = (opts) => untilProgramRan(() => preview(opts));
  return stack;
}

/** `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets). */
export function exportedState(environment: PulumiTestEnvironment, stackName: string): string {
  const { workDir, envVars } = environment.workspaceOptions;
  return execFileSync(path.join(environment.binDir, "pulumi"), ["stack", "export", "--stack", stackName], {
    cwd: workDir,
    env: { ...process.env, ...envVars },
    maxBuffer: 64 * 1024 * 1024,
    encoding: "utf8",
  });
}

/** Every file the environment's file backend wrote: checkpoints, history and backups. */
export function backendFiles(environment: PulumiTestEnvironment): string[] {
  const root = new URL(environment.workspaceOptions.envVars.PULUMI_BACKEND_URL).pathname;
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), "utf8"));
}
