import * as fs from "node:fs";

/**
 * A vitest (4.x) reporter for scripts/sdk-conformance.sh: writes each test's outcome and error, and the errors
 * raised outside tests (a failing beforeAll, a file that does not load, an unhandled rejection), to one JSON
 * file that report.ts reads. vitest's own JSON reporter keeps only stacks (a timeout's message is lost) and
 * drops hook and unhandled errors, which are the very reasons a whole file's tests do not run.
 *
 * The generated vitest.config.mjs imports this module and constructs it with the output path. The project
 * does not depend on vitest, so the few parts of its reporter API used here are typed below.
 */

/** An error as vitest serialises it. */
interface VitestError {
  name?: string;
  message?: string;
  stack?: string;
}

interface VitestTestCase {
  fullName: string;
  result(): { state: string; errors?: ReadonlyArray<VitestError> };
}

interface VitestTestSuite {
  fullName: string;
  errors(): ReadonlyArray<VitestError>;
}

interface VitestTestModule {
  moduleId: string;
  errors(): ReadonlyArray<VitestError>;
  children: { allTests(): Iterable<VitestTestCase>; allSuites(): Iterable<VitestTestSuite> };
}

/** What report.ts reads: per file, every test and every error raised outside a test. */
export interface ConformanceResults {
  files: {
    file: string;
    /** Errors of the file itself and of its suites' hooks, as `<where>: <error>`. */
    errors: string[];
    tests: { name: string; state: "passed" | "failed" | "skipped"; error?: string }[];
  }[];
  unhandledErrors: string[];
}

/** The error's first line (its name and message), with the place in the tests it came from when it has no message. */
function describeError(error: VitestError): string {
  const name = error.name ?? "Error";
  const message =
    (error.message ?? "")
      .split("\n")
      .find((line) => line.trim() !== "")
      ?.trim() ?? "";
  if (message !== "") return `${name}: ${message}`;
  const place = error.stack
    ?.split("\n")
    .map((line) => /test\/public\/\S+/.exec(line)?.[0])
    .find((found) => found !== undefined);
  return place ? `${name} (no message) at ${place}` : `${name} (no message)`;
}

export class ConformanceReporter {
  constructor(private readonly outputFile: string) {}

  onTestRunEnd(
    testModules: ReadonlyArray<VitestTestModule>,
    unhandledErrors: ReadonlyArray<VitestError>,
  ): void {
    const results: ConformanceResults = {
      files: testModules.map((module) => ({
        file: module.moduleId,
        errors: [
          ...module.errors().map((error) => `the file: ${describeError(error)}`),
          ...[...module.children.allSuites()].flatMap((suite) =>
            suite.errors().map((error) => `suite '${suite.fullName}': ${describeError(error)}`),
          ),
        ],
        tests: [...module.children.allTests()].map((test) => {
          const result = test.result();
          const state = result.state === "passed" || result.state === "failed" ? result.state : "skipped";
          const error = result.errors?.[0];
          return { name: test.fullName, state, ...(error ? { error: describeError(error) } : {}) };
        }),
      })),
      unhandledErrors: unhandledErrors.map(describeError),
    };
    fs.writeFileSync(this.outputFile, JSON.stringify(results, null, 1));
  }
}
