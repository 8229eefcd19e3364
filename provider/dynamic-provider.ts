import type * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { ProviderInputs, ProviderOutputs } from "./kinds";

/**
 * The provider object Pulumi serializes into the state file, shared by every kind of job (see kind.ts). It
 * captures nothing but a module path: each hook loads `hooks.js` at run time, by package name first (so a
 * stack deployed on one machine can be refreshed or destroyed on another) and by absolute path as a
 * fallback (this repository's own tests). Keys and passwords are never captured here; they reach the hooks
 * only as (secret) inputs.
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

export const copyJobProvider: pulumi.dynamic.ResourceProvider<ProviderInputs, ProviderOutputs> = {
  check: (olds, news) => hooks().check(olds, news),
  diff: async (_id, olds, news) => hooks().diff(olds, news),
  create: (inputs) => hooks().create(inputs),
  update: (id, olds, news) => hooks().update(id, olds, news),
  read: (id, props) => hooks().read(id, props as ProviderOutputs),
  delete: (id, props) => hooks().remove(id, props),
};
