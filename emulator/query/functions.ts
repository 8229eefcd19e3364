/**
 * The one table of built-in scalar functions: each entry's name (upper-case, as the parser normalises calls),
 * how many arguments it takes, and its implementation. The validator checks calls against the arity, the
 * evaluator calls the implementation. As in Cosmos, an argument of the wrong type makes the result undefined.
 */
import { deepEqual, isPlainObject, NULL, STRING, typeRank } from "./values";

type Implementation = (...args: unknown[]) => unknown;

export interface BuiltinFunction {
  /** Fewest and most arguments the function accepts (`Infinity` for variadic functions). */
  arity: readonly [number, number];
  apply: Implementation;
}

const str = (v: unknown): v is string => typeof v === "string";
const num = (v: unknown): v is number => typeof v === "number";

const fixed = (count: number, apply: Implementation): BuiltinFunction => ({ arity: [count, count], apply });
const between = (min: number, max: number, apply: Implementation): BuiltinFunction => ({
  arity: [min, max],
  apply,
});

/** Two-string predicate with Cosmos' optional third `ignoreCase` boolean. */
function stringTest(test: (s: string, p: string) => boolean): BuiltinFunction {
  return between(2, 3, (s, p, ignoreCase = false) => {
    if (!str(s) || !str(p) || typeof ignoreCase !== "boolean") return undefined;
    return ignoreCase ? test(s.toLowerCase(), p.toLowerCase()) : test(s, p);
  });
}

/** ARRAY_CONTAINS' partial match: every property of an object probe appears, equal, in the item. */
function partialMatch(item: unknown, probe: unknown): boolean {
  if (!isPlainObject(probe) || !isPlainObject(item)) return deepEqual(item, probe);
  return Object.keys(probe).every(
    (k) => probe[k] === undefined || (Object.hasOwn(item, k) && deepEqual(item[k], probe[k])),
  );
}

const numeric = (f: (n: number) => number): BuiltinFunction => fixed(1, (n) => (num(n) ? f(n) : undefined));
const text = (f: (s: string) => unknown): BuiltinFunction => fixed(1, (s) => (str(s) ? f(s) : undefined));
const typeCheck = (test: (v: unknown) => boolean): BuiltinFunction => fixed(1, test);

export const BUILTIN_FUNCTIONS: Readonly<Record<string, BuiltinFunction>> = {
  IS_DEFINED: typeCheck((v) => v !== undefined),
  IS_NULL: typeCheck((v) => v === null),
  IS_BOOL: typeCheck((v) => typeof v === "boolean"),
  IS_NUMBER: typeCheck(num),
  IS_STRING: typeCheck(str),
  IS_ARRAY: typeCheck((v) => Array.isArray(v)),
  IS_OBJECT: typeCheck(isPlainObject),
  IS_PRIMITIVE: typeCheck((v) => typeRank(v) >= NULL && typeRank(v) <= STRING),
  STARTSWITH: stringTest((s, p) => s.startsWith(p)),
  ENDSWITH: stringTest((s, p) => s.endsWith(p)),
  CONTAINS: stringTest((s, p) => s.includes(p)),
  STRINGEQUALS: stringTest((s, p) => s === p),
  INDEX_OF: between(2, 3, (s, p, from = 0) =>
    str(s) && str(p) && num(from) ? s.indexOf(p, from) : undefined,
  ),
  LOWER: text((s) => s.toLowerCase()),
  UPPER: text((s) => s.toUpperCase()),
  LENGTH: text((s) => s.length),
  TRIM: text((s) => s.trim()),
  LTRIM: text((s) => s.trimStart()),
  RTRIM: text((s) => s.trimEnd()),
  CONCAT: between(2, Infinity, (...parts) => (parts.every(str) ? parts.join("") : undefined)),
  SUBSTRING: fixed(3, (s, start, length) =>
    str(s) && num(start) && num(length)
      ? s.slice(Math.max(0, start), Math.max(0, start) + Math.max(0, length))
      : undefined,
  ),
  LEFT: fixed(2, (s, n) => (str(s) && num(n) ? s.slice(0, Math.max(0, n)) : undefined)),
  RIGHT: fixed(2, (s, n) => (str(s) && num(n) ? (n <= 0 ? "" : s.slice(-n)) : undefined)),
  REPLACE: fixed(3, (s, find, by) => (str(s) && str(find) && str(by) ? s.split(find).join(by) : undefined)),
  REVERSE: text((s) => Array.from(s).reverse().join("")),
  TOSTRING: fixed(1, (v) => (v === undefined ? undefined : str(v) ? v : JSON.stringify(v))),
  ARRAY_CONTAINS: between(2, 3, (arr, v, partial = false) => {
    if (!Array.isArray(arr) || typeof partial !== "boolean") return undefined;
    return arr.some((item) => (partial ? partialMatch(item, v) : deepEqual(item, v)));
  }),
  ARRAY_LENGTH: fixed(1, (arr) => (Array.isArray(arr) ? arr.length : undefined)),
  ABS: numeric(Math.abs),
  CEILING: numeric(Math.ceil),
  FLOOR: numeric(Math.floor),
  ROUND: numeric((n) => Math.sign(n) * Math.round(Math.abs(n))),
};

/** The entry for an upper-cased function name the validator has accepted. */
export function builtinFunction(name: string): BuiltinFunction {
  if (!Object.hasOwn(BUILTIN_FUNCTIONS, name)) throw new Error(`No built-in function named ${name}`);
  return BUILTIN_FUNCTIONS[name];
}
