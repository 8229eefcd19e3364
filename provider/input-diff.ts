import { isDeepStrictEqual } from "node:util";
import { currentShape, isUnknown, propertyOf, valueAt, type InputChange } from "./inputs";

/**
 * What a change of inputs does to a deployed job, read from its kind's change table. Pure, so every input's
 * effect is unit-tested without an engine.
 */
export interface InputTable {
  /** What a change of each input does; a path like `account.endpoint` names a field of an object input. */
  inputChanges: Readonly<Record<string, InputChange>>;
  /** Inputs whose default is the job's own: left out or given as that value, they are the same job. */
  inputDefaults: Readonly<Record<string, unknown>>;
}

export interface InputDiff {
  /** Every input whose value differs (or is not known yet, during preview). */
  changed: string[];
  /** The properties whose change names another copy: the job is replaced. */
  replaces: string[];
}

export function diffByTable(olds: object, news: object, table: InputTable): InputDiff {
  const before = currentShape(olds);
  // Inputs left out arrive as absent or as null, depending on the SDK's path: both mean "not given", which
  // for an input with a default means that default.
  const given = (path: string, value: unknown) =>
    value === null || value === undefined ? table.inputDefaults[path] : value;
  const changed = Object.keys(table.inputChanges).filter((path) => {
    const value = valueAt(news, path);
    return isUnknown(value) || !isDeepStrictEqual(given(path, valueAt(before, path)), given(path, value));
  });
  const replaces = [
    ...new Set(changed.filter((path) => table.inputChanges[path] === "replace").map(propertyOf)),
  ];
  return { changed, replaces };
}
