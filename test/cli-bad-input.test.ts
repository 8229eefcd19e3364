import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import type { CopyJobs } from "../engine";
import { withoutCassandra } from "./support/cli-process";
import { badInputs, connectionFor, prepareBadInputAccount, type BadInputCase } from "./support/bad-inputs";
import { openEndpoint, usingExternalEndpoint, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * The bad-input table through `cosmos-copy create`, as child processes: each case exits non-zero with one
 * error naming the value and the fix, prints no key, and leaves no job behind.
 */
const execFileAsync = promisify(execFile);
const cli = path.join(__dirname, "..", "..", "bin", "cosmos-copy.js");

function containerArgument(ref: { database: string; container: string } | undefined): string[] {
  return ref ? [`database=${ref.database}`, `container=${ref.container}`] : [];
}

function argumentsOf(badInput: BadInputCase): string[] {
  const { spec } = badInput;
  const args = ["create", "--job-name", spec.name, "--src-nosql", ...containerArgument(spec.source)];
  if (spec.destination) args.push("--dest-nosql", ...containerArgument(spec.destination));
  if (spec.mode) args.push("--mode", spec.mode);
  if (badInput.cli?.options) return [...args, ...badInput.cli.options];
  if (spec.options?.pageSize !== undefined) args.push("--page-size", String(spec.options.pageSize));
  if (spec.options?.workerCount !== undefined) args.push("--worker-count", String(spec.options.workerCount));
  return args;
}

describe("reliability: bad input through the cosmos-copy CLI", function () {
  let cosmos: TestEndpoint;
  let jobs: CopyJobs;

  before(async function () {
    if (usingExternalEndpoint) this.skip(); // the wrong-key and unreachable cases assume the local emulator
    cosmos = await openEndpoint({ http: true });
    ({ jobs } = await prepareBadInputAccount(cosmos));
  });

  after(async function () {
    jobs?.dispose();
    await cosmos?.stop();
  });

  for (const badInput of badInputs) {
    it(`refuses ${badInput.name}, naming the value and the fix`, async function () {
      const connection = connectionFor(cosmos, badInput.connection);
      const result = await execFileAsync(process.execPath, [cli, ...argumentsOf(badInput)], {
        env: {
          ...withoutCassandra(process.env),
          COSMOS_ENDPOINT: connection.endpoint,
          COSMOS_KEY: connection.key ?? "",
        },
      }).then(
        (ok) => ({ code: 0, ...ok }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      assert.notEqual(result.code, 0, "the CLI refused the input");
      const cliCase = badInput.cli ?? {};
      assert.match(result.stderr, cliCase.names ?? badInput.names);
      assert.match(result.stderr, cliCase.fix ?? badInput.fix);
      assert.ok(!`${result.stdout}${result.stderr}`.includes(cosmos.key), "no key in the output");
    });
  }

  it("created no job", async function () {
    assert.deepEqual(
      (await jobs.list()).map((job) => job.name),
      ["taken"],
    );
  });
});
