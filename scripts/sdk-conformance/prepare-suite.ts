import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Lays out the official @azure/cosmos SDK's tests in a scratch directory so they run against the published
 * SDK instead of the source tree they were written beside (scripts/sdk-conformance.sh calls this).
 *
 * Usage: node dist/scripts/sdk-conformance/prepare-suite.js <package dir> <suite dir> <sdk esm dir>
 *   <package dir>  sdk/cosmosdb/cosmos of an azure-sdk-for-js checkout (has test/ and src/)
 *   <suite dir>    where to copy test/ to; its previous test/ is replaced
 *   <sdk esm dir>  node_modules/@azure/cosmos/dist/esm of the installed SDK
 *
 * The tests import the SDK as `../../../src/index.js`, and some of its internals (`src/utils/time.js`,
 * `src/request/RequestHandler.js`, ...). Each such import is rewritten to the absolute path of the same module
 * in the published ESM build, whose layout mirrors src/ (`src/request` → `request/index.js`), so the public
 * API and the internals the tests reach into are one module graph, as in the source tree.
 */

/** `from "x"`, `import "x"`, `import("x")`, `export ... from "x"`: the specifier is group 3. */
const importSpecifier = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\2/g;

class ImportRewriter {
  private readonly sourceDir: string;

  constructor(
    private readonly packageDir: string,
    private readonly sdkEsmDir: string,
  ) {
    this.sourceDir = path.join(packageDir, "src");
  }

  /** The file's text with every import that resolves into the package's src/ pointing at the published build. */
  rewrite(originalFile: string, text: string): string {
    return text.replace(
      importSpecifier,
      (whole: string, keyword: string, quote: string, specifier: string) => {
        if (!specifier.startsWith(".")) return whole;
        const target = path.resolve(path.dirname(originalFile), specifier);
        if (target !== this.sourceDir && !target.startsWith(this.sourceDir + path.sep)) return whole;
        const published = this.publishedModule(
          path.relative(this.sourceDir, target),
          originalFile,
          specifier,
        );
        return `${keyword}${quote}${published}${quote}`;
      },
    );
  }

  private publishedModule(relativeToSource: string, originalFile: string, specifier: string): string {
    const candidate = path.join(this.sdkEsmDir, relativeToSource);
    if (fs.statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    const index = path.join(candidate, "index.js");
    if (fs.existsSync(index)) return index;
    throw new Error(
      `${path.relative(this.packageDir, originalFile)} imports '${specifier}', which the published SDK ` +
        `does not have (looked for ${candidate} and ${index}).`,
    );
  }
}

function copyWithRewrites(from: string, to: string, rewriter: ImportRewriter): number {
  let rewritten = 0;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const destination = path.join(to, entry.name);
    if (entry.isDirectory()) {
      rewritten += copyWithRewrites(source, destination, rewriter);
    } else if (/\.[cm]?[jt]s$/.test(entry.name)) {
      const text = fs.readFileSync(source, "utf8");
      const result = rewriter.rewrite(source, text);
      if (result !== text) rewritten += 1;
      fs.writeFileSync(destination, result);
    } else {
      fs.copyFileSync(source, destination);
    }
  }
  return rewritten;
}

function main(): void {
  const [packageDir, suiteDir, sdkEsmDir] = process.argv.slice(2).map((argument) => path.resolve(argument));
  if (!packageDir || !suiteDir || !sdkEsmDir)
    throw new Error("usage: prepare-suite <package dir> <suite dir> <sdk esm dir>");
  const testDir = path.join(packageDir, "test");
  if (!fs.existsSync(path.join(testDir, "public")))
    throw new Error(`'${packageDir}' has no test/public: not the sdk/cosmosdb/cosmos package of a checkout.`);
  if (!fs.existsSync(path.join(sdkEsmDir, "index.js")))
    throw new Error(`'${sdkEsmDir}' has no index.js: not the dist/esm of an installed @azure/cosmos.`);
  const suiteTestDir = path.join(suiteDir, "test");
  fs.rmSync(suiteTestDir, { recursive: true, force: true });
  const rewritten = copyWithRewrites(testDir, suiteTestDir, new ImportRewriter(packageDir, sdkEsmDir));
  process.stdout.write(`copied ${testDir} to ${suiteTestDir}; SDK imports rewritten in ${rewritten} files\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`prepare-suite: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
