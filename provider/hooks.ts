/**
 * The dynamic provider's hooks, for every kind of job it serves (see kind.ts). The serialized provider
 * (dynamic-provider.ts) loads this module at run time, so none of it ends up in the state file.
 */
import type * as pulumi from "@pulumi/pulumi";
import { kindOf, type ProviderInputs } from "./kinds";

export function check(
  olds: ProviderInputs | Record<string, never>,
  news: ProviderInputs,
): Promise<pulumi.dynamic.CheckResult<ProviderInputs>> {
  return kindOf(news).check(olds, news);
}
export { diffResult as diff } from "./diff";
export { create, read, remove, update } from "./lifecycle";
