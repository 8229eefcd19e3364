import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/**
 * Summarises a vitest JSON report of the official SDK's tests run against cosmos-emulator
 * (scripts/sdk-conformance.sh calls this): a per-file table with totals and pass rates, every failure with
 * the first line of its error, and those first lines grouped so the most common causes come first.
 *
 * Usage: node dist/scripts/sdk-conformance/report.js --results <vitest json> --suite <suite dir>
 *          --out-of-scope <list> --output <dir>
 * Writes results.txt (also printed), failures.txt and failure-summary.txt in <dir>.
 */

/** The parts of vitest's JSON reporter output (its Jest-compatible shape) this reads. */
interface VitestReport {
  testResults: {
    name: string;
    status: string;
    message: string;
    assertionResults: { fullName: string; status: string; failureMessages: string[] | null }[];
  }[];
}

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  /** The file's own error (it did not load, or a hook outside any test failed), if any. */
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

/** The first non-empty line of an error, without terminal colours. */
function firstLine(message: string): string {
  const plain = message.replace(/\u001b\[[0-9;]*m/g, "");
  return (plain.split("\n").find((line) => line.trim() !== "") ?? "(no message)").trim();
}

/** Groups messages that differ only in generated names, ids, numbers of 3+ digits and times. */
function messageShape(line: string): string {
  return line
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, "<time>")
    .replace(/[A-Za-z0-9+/]{6,}={1,2}/g, "<rid>")
    .replace(/\d{3,}/g, "<n>")
    .slice(0, 300);
}

function summarise(report: VitestReport, suiteDir: string, rules: ScopeRule[]) {
  const files: FileResult[] = [];
  const failures: Failure[] = [];
  for (const fileReport of report.testResults) {
    const file = path.relative(path.join(suiteDir, publicTestsDir), fileReport.name);
    const result: FileResult = {
      file,
      passed: 0,
      failed: 0,
      skipped: 0,
      inScope: { passed: 0, failed: 0, skipped: 0 },
    };
    const outcome = (status: string) =>
      status === "passed" ? "passed" : status === "failed" ? "failed" : "skipped";
    for (const test of fileReport.assertionResults) {
      const kind = outcome(test.status);
      result[kind] += 1;
      const reason = outOfScopeReason(rules, file, test.fullName);
      if (reason) {
        result.outOfScope ??= { reason, tests: 0, wholeFile: false };
        result.outOfScope.tests += 1;
      } else result.inScope[kind] += 1;
      if (kind === "failed")
        failures.push({
          file,
          test: test.fullName,
          firstLine: firstLine(test.failureMessages?.[0] ?? ""),
          outOfScope: reason !== undefined,
        });
    }
    const fileReason = outOfScopeReason(rules, file);
    if (fileReason)
      result.outOfScope = { reason: fileReason, tests: result.outOfScope?.tests ?? 0, wholeFile: true };
    if (fileReport.status === "failed" && fileReport.message) {
      result.fileError = firstLine(fileReport.message);
      failures.push({
        file,
        test: "(the file itself)",
        firstLine: result.fileError,
        outOfScope: fileReason !== undefined,
      });
    }
    files.push(result);
  }
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
      file.fileError ? `file error: ${file.fileError.slice(0, 160)}` : "",
    ].filter((note) => note !== "");
    lines.push(row(file.file, file.passed, file.failed, file.skipped, notes.join("; ")));
  }
  return lines.join("\n");
}

function resultsText(files: FileResult[]): string {
  const all = totals(files, false);
  const inScope = totals(files, true);
  const describe = (label: string, sum: ReturnType<typeof totals>) =>
    `${label}: ${sum.files} files, ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped` +
    (sum.fileErrors ? `, ${sum.fileErrors} files with a file-level error` : "") +
    `; pass rate ${passRate(sum)}`;
  return [
    table(files),
    "",
    describe("all files", all),
    describe("in scope (without the files and tests out-of-scope.txt lists)", inScope),
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
  const report = JSON.parse(fs.readFileSync(results, "utf8")) as VitestReport;
  const { files, failures } = summarise(report, path.resolve(suite), rules);
  const text = resultsText(files);
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
