/**
 * The dynamic provider's hooks. The serialized provider (dynamic-provider.ts) loads this module at run time,
 * so none of it ends up in the state file.
 */
export { check } from "./check";
export { diffResult as diff } from "./diff";
export { create, read, remove, update } from "./lifecycle";
