import type { PulumiFn } from "@pulumi/pulumi/automation";
import * as path from "node:path";

/**
 * An example program (examples/<name>/index.ts, compiled to dist/) as an inline Automation API program.
 *
 * Programs in a project directory need the Node.js language host, which the Go module proxy does not serve
 * (see scripts/pulumi-toolchain/go.mod); inline programs bring their own Node.js runtime to the CLI, so the
 * examples run for real through this. The module is loaded afresh on each run: its top-level code is what
 * declares the resources, and Node would otherwise run it only once per process.
 */
export function exampleProgram(name: string): PulumiFn {
  const directory = path.resolve(__dirname, "..", "examples", name);
  return async () => {
    for (const cached of Object.keys(require.cache)) {
      if (cached.startsWith(directory + path.sep)) delete require.cache[cached];
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ...require(path.join(directory, "index.js")) };
  };
}
