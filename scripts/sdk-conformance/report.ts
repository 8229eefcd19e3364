import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

import type { ConformanceResults } from "./vitest-reporter";

/**
 * Summarises what vitest-reporter.ts wrote for a run of the official SDK's tests against cosmos-emulator
 * (scripts/sdk-conformance.sh calls this): a per-file table with totals and pass rates, every failure with
 * the first line of its error, and those first lines grouped so the most common causes come first.
 *
 * Usage: node dist/scripts/sdk-conformance/report.js --results <results json> --suite <suite dir>
 *          --out-of-scope <list> --output <dir>
 * Writes results.txt (also printed), failures.txt and failure-summary.txt in <dir>.
 */

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  /** The first error raised outside its tests (the file did not load, a beforeAll failed), if any. */
  fileError?: string;
  /** Why some or all of the file's tests do not apply, and how many of them. */
  outOfScope?: { reason: string; tests: number; wholeFile: boolean };
  /** The counts over the tests that apply. */
  inScope: { passed: number; failed: number; skipped: number };
}

interface Failure {
  file: string;
  test: string;
  firstLine: string;
  outOfScope: boolean;
}

const publicTestsDir = path.join("test", "public");

/** An out-of-scope entry: a whole file, or the tests of a file whose full name contains some text. */
interface ScopeRule {
  file: string;
  testNameContains?: string;
  reason: string;
}

/** `<file under test/public>[ › <text in the tests' full names>]: <reason>` per line; `#` starts a comment. */
function readOutOfScope(listFile: string): ScopeRule[] {
  const rules: ScopeRule[] = [];
  for (const [index, raw] of fs.readFileSync(listFile, "utf8").split("\n").entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const match = /^(\S+)(?:\s+›\s+(.+?))?:\s+(.+)$/.exec(line);
    if (!match)
      throw new Error(
        `${listFile}:${index + 1}: '${raw}' is not '<file under test/public>[ › <test name text>]: <reason>'.`,
      );
    rules.push({ file: match[1], testNameContains: match[2], reason: match[3] });
  }
  return rules;
}

function outOfScopeReason(rules: ScopeRule[], file: string, testName?: string): string | undefined {
  return rules.find(
    (rule) =>
      rule.file === file &&
      (rule.testNameContains === undefined ||
        (testName !== undefined && testName.includes(rule.testNameContains))),
  )?.reason;
}

/** Groups messages that differ only in generated names, ids, positions, numbers of 3+ digits and times. */
function messageShape(line: string): string {
  return line
    .replace(
      /\b(dbs|colls|users|permissions|sprocs|triggers|udfs|docs|conflicts)\/[^/]*?(?=\/|\.?$|\.\s|,)/g,
      "$1/<id>",
    )
    .replace(/position \d+/g, "position <n>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, "<time>")
    .replace(/[A-Za-z0-9+/]{6,}={1,2}/g, "<rid>")
    .replace(/\d{3,}/g, "<n>")
    .slice(0, 300);
}

function summarise(results: ConformanceResults, suiteDir: string, rules: ScopeRule[]) {
  const files: FileResult[] = [];
  const failures: Failure[] = [];
  for (const fileResults of results.files) {
    const file = path.relative(path.join(suiteDir, publicTestsDir), fileResults.file);
    const fileReason = outOfScopeReason(rules, file);
    const result: FileResult = {
      file,
      passed: 0,
      failed: 0,
      skipped: 0,
      fileError: fileResults.errors[0],
      inScope: { passed: 0, failed: 0, skipped: 0 },
    };
    for (const test of fileResults.tests) {
      result[test.state] += 1;
      const reason = outOfScopeReason(rules, file, test.name);
      if (reason) {
        result.outOfScope ??= { reason, tests: 0, wholeFile: false };
        result.outOfScope.tests += 1;
      } else result.inScope[test.state] += 1;
      if (test.state === "failed")
        failures.push({
          file,
          test: test.name,
          firstLine: test.error ?? "(no error)",
          outOfScope: reason !== undefined,
        });
    }
    if (fileReason)
      result.outOfScope = { reason: fileReason, tests: fileResults.tests.length, wholeFile: true };
    for (const error of fileResults.errors) {
      const separator = error.indexOf(": ");
      failures.push({
        file,
        test: `(${error.slice(0, separator)})`,
        firstLine: error.slice(separator + 2),
        outOfScope: fileReason !== undefined,
      });
    }
    files.push(result);
  }
  for (const error of results.unhandledErrors)
    failures.push({ file: "(no file)", test: "(unhandled error)", firstLine: error, outOfScope: false });
  files.sort((a, b) => a.file.localeCompare(b.file));
  return { files, failures };
}

function totals(files: FileResult[], inScopeOnly: boolean) {
  const sum = { files: 0, passed: 0, failed: 0, skipped: 0, fileErrors: 0 };
  for (const file of files) {
    if (inScopeOnly && file.outOfScope?.wholeFile) continue;
    const counts = inScopeOnly ? file.inScope : file;
    sum.files += 1;
    sum.passed += counts.passed;
    sum.failed += counts.failed;
    sum.skipped += counts.skipped;
    if (file.fileError) sum.fileErrors += 1;
  }
  return sum;
}

function passRate(sum: { passed: number; failed: number }): string {
  const applicable = sum.passed + sum.failed;
  return applicable === 0
    ? "no applicable tests"
    : `${((100 * sum.passed) / applicable).toFixed(1)}% (${sum.passed} of ${applicable} run, skipped excluded)`;
}

function table(files: FileResult[]): string {
  const width = Math.max(4, ...files.map((file) => file.file.length));
  const row = (file: string, passed: unknown, failed: unknown, skipped: unknown, note: string) =>
    `${file.padEnd(width)}  ${String(passed).padStart(6)}  ${String(failed).padStart(6)}  ${String(skipped).padStart(7)}  ${note}`.trimEnd();
  const lines = [row("file", "passed", "failed", "skipped", "note"), "-".repeat(width + 40)];
  for (const file of files) {
    const notes = [
      file.outOfScope?.wholeFile ? `out of scope: ${file.outOfScope.reason}` : "",
      file.outOfScope && !file.outOfScope.wholeFile
        ? `${file.outOfScope.tests} tests out of scope: ${file.outOfScope.reason}`
        : "",
      file.fileError ? `error outside tests: ${file.fileError.slice(0, 160)}` : "",
    ].filter((note) => note !== "");
    lines.push(row(file.file, file.passed, file.failed, file.skipped, notes.join("; ")));
  }
  return lines.join("\n");
}

function resultsText(files: FileResult[], unhandledErrors: number): string {
  const all = totals(files, false);
  const inScope = totals(files, true);
  const describe = (label: string, sum: ReturnType<typeof totals>) =>
    `${label}: ${sum.files} files, ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped` +
    (sum.fileErrors ? `, ${sum.fileErrors} file(s) with errors outside their tests` : "") +
    `; pass rate ${passRate(sum)}`;
  return [
    table(files),
    "",
    describe("all files", all),
    describe("in scope (without the files and tests out-of-scope.txt lists)", inScope),
    ...(unhandledErrors
      ? [`${unhandledErrors} unhandled error(s) (rejections outside any test; in failures.txt)`]
      : []),
    "",
  ].join("\n");
}

function failuresText(failures: Failure[]): string {
  return failures
    .map(
      (failure) =>
        `${failure.outOfScope ? "(out of scope) " : ""}${failure.file} › ${failure.test}\n    ${failure.firstLine}\n`,
    )
    .join("");
}

function failureSummaryText(failures: Failure[]): string {
  const groups = new Map<string, { example: string; count: number; files: Map<string, number> }>();
  for (const failure of failures) {
    const file = failure.outOfScope ? `*${failure.file}` : failure.file;
    const shape = messageShape(failure.firstLine);
    const group = groups.get(shape) ?? { example: failure.firstLine, count: 0, files: new Map() };
    group.count += 1;
    group.files.set(file, (group.files.get(file) ?? 0) + 1);
    groups.set(shape, group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count);
  const lines = [
    `${failures.length} failures, ${sorted.length} distinct first lines (numbers of 3+ digits, ids and times ` +
      `folded together; one example each); * marks out-of-scope failures`,
    "",
  ];
  for (const group of sorted) {
    const files = [...group.files.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([file, count]) => `${file} (${count})`);
    lines.push(
      `${String(group.count).padStart(4)}  ${group.example.slice(0, 400)}`,
      `      in ${files.join(", ")}`,
    );
  }
  return lines.join("\n") + "\n";
}

function main(): void {
  const { values } = parseArgs({
    options: {
      results: { type: "string" },
      suite: { type: "string" },
      "out-of-scope": { type: "string" },
      output: { type: "string" },
    },
  });
  const { results, suite, output } = values;
  const outOfScopeList = values["out-of-scope"];
  if (!results || !suite || !outOfScopeList || !output)
    throw new Error(
      "usage: report --results <vitest json> --suite <dir> --out-of-scope <list> --output <dir>",
    );
  const rules = readOutOfScope(outOfScopeList);
  const runResults = JSON.parse(fs.readFileSync(results, "utf8")) as ConformanceResults;
  const { files, failures } = summarise(runResults, path.resolve(suite), rules);
  const text = resultsText(files, runResults.unhandledErrors.length);
  fs.writeFileSync(path.join(output, "results.txt"), text);
  fs.writeFileSync(path.join(output, "failures.txt"), failuresText(failures));
  fs.writeFileSync(path.join(output, "failure-summary.txt"), failureSummaryText(failures));
  process.stdout.write(text);
  process.stdout.write(
    `\nresults in ${path.join(output, "results.txt")}; every failure's first line in failures.txt, ` +
      `grouped in failure-summary.txt\n`,
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
