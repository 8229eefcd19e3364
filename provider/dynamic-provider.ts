import type * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { JobInputs, JobOutputs } from "./inputs";

/**
 * The provider object Pulumi serializes into the state file. It captures nothing but a module path: each
 * hook loads `hooks.js` at run time, by package name first (so a stack deployed on one machine can be
 * refreshed or destroyed on another) and by absolute path as a fallback (this repository's own tests).
 * The account key is never captured here; it reaches the hooks only as a (secret) input.
 */
const hooksPath = path.join(__dirname, "hooks.js");

type Hooks = typeof import("./hooks");

function hooks(): Hooks {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("pulumi-cosmos-copy/provider/hooks");
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(hooksPath);
  }
}

export const containerCopyJobProvider: pulumi.dynamic.ResourceProvider<JobInputs, JobOutputs> = {
  check: (olds, news) => hooks().check(olds, news),
  diff: async (_id, olds, news) => hooks().diff(olds, news),
  create: (inputs) => hooks().create(inputs),
  update: (id, olds, news) => hooks().update(id, olds, news),
  read: (id, props) => hooks().read(id, props as JobOutputs),
  delete: (id, props) => hooks().remove(id, props),
};
