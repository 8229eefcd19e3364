/**
 * The one table of built-in scalar functions: each entry's name (upper-case, as the parser normalises calls),
 * how many arguments it takes, and its implementation. The validator checks calls against the arity, the
 * evaluator calls the implementation. As in Cosmos, an argument of the wrong type makes the result undefined.
 */
import { distance, geometryProblem, intersectsGeometry, within } from "./spatial";
import { deepEqual, distinctKey, isPlainObject, NULL, STRING, typeRank } from "./values";

type Implementation = (...args: unknown[]) => unknown;

export interface BuiltinFunction {
  /** Fewest and most arguments the function accepts (`Infinity` for variadic functions). */
  arity: readonly [number, number];
  apply: Implementation;
}

const str = (v: unknown): v is string => typeof v === "string";
/** Cosmos has no NaN or Infinity: such results are undefined. */
const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
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

const numeric = (f: (n: number) => number): BuiltinFunction =>
  fixed(1, (n) => (num(n) ? finite(f(n)) : undefined));
const text = (f: (s: string) => unknown): BuiltinFunction => fixed(1, (s) => (str(s) ? f(s) : undefined));
const typeCheck = (test: (v: unknown) => boolean): BuiltinFunction => fixed(1, test);

/** A number function of two numbers (ATN2, POWER, the INT* family), undefined unless both are numbers. */
const binaryNumeric = (f: (a: number, b: number) => number): BuiltinFunction =>
  fixed(2, (a, b) => (num(a) && num(b) ? finite(f(a, b)) : undefined));
const integer = (v: unknown): v is number => Number.isSafeInteger(v);
const intOp = (f: (a: number, b: number) => number): BuiltinFunction =>
  fixed(2, (a, b) => (integer(a) && integer(b) ? finite(f(a, b)) : undefined));

/** Parses `text` as JSON and keeps it only when `accept` says the value has the wanted type. */
function parseAs(accept: (v: unknown) => boolean): BuiltinFunction {
  return text((s) => {
    try {
      const value: unknown = JSON.parse(s.trim());
      return accept(value) ? value : undefined;
    } catch {
      return undefined;
    }
  });
}

/** ARRAY_SLICE(arr, start[, length]): negative start counts from the end, as in Cosmos. */
function arraySlice(arr: unknown, start: unknown, length?: unknown): unknown {
  if (!Array.isArray(arr) || !integer(start) || (length !== undefined && !integer(length))) return undefined;
  const from = start < 0 ? Math.max(0, arr.length + start) : start;
  return arr.slice(from, length === undefined ? undefined : from + Math.max(0, length));
}

/** Values of `a` (deduplicated) that `keep` accepts, compared as DISTINCT does. */
function setFilter(a: unknown, b: unknown, keep: (inB: boolean) => boolean, union: boolean): unknown {
  if (!Array.isArray(a) || !Array.isArray(b)) return undefined;
  const inB = new Set(b.map(distinctKey));
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of union ? [...a, ...b] : a) {
    const key = distinctKey(v);
    if (seen.has(key) || !(union || keep(inB.has(key)))) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

// Dates are ISO 8601 UTC strings `YYYY-MM-DDThh:mm:ss.fffffffZ`; ticks are 100 ns since 0001-01-01.
const TICKS_PER_MS = 10_000;
const EPOCH_TICKS = 621_355_968_000_000_000;
const DATE_PARTS: Readonly<
  Record<string, "year" | "month" | "day" | "hour" | "minute" | "second" | "millisecond">
> = {
  year: "year",
  yyyy: "year",
  yy: "year",
  month: "month",
  mm: "month",
  m: "month",
  day: "day",
  dd: "day",
  d: "day",
  hour: "hour",
  hh: "hour",
  minute: "minute",
  mi: "minute",
  n: "minute",
  second: "second",
  ss: "second",
  s: "second",
  millisecond: "millisecond",
  ms: "millisecond",
};

const UNIT_MS = { day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1000, millisecond: 1 };

function formatDate(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/Z$/, "0000Z");
}

function parseDate(value: unknown): number | undefined {
  if (!str(value) || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?Z?$/.test(value))
    return undefined;
  const ms = Date.parse(value.endsWith("Z") || value.length === 10 ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function dateAdd(part: unknown, count: unknown, value: unknown): unknown {
  const unit = str(part) ? DATE_PARTS[part.toLowerCase()] : undefined;
  const ms = parseDate(value);
  if (unit === undefined || !integer(count) || ms === undefined) return undefined;
  const date = new Date(ms);
  if (unit === "year") date.setUTCFullYear(date.getUTCFullYear() + count);
  else if (unit === "month") date.setUTCMonth(date.getUTCMonth() + count);
  else {
    date.setTime(date.getTime() + count * UNIT_MS[unit]);
  }
  return formatDate(date.getTime());
}

function datePart(part: unknown, value: unknown): unknown {
  const unit = str(part) ? DATE_PARTS[part.toLowerCase()] : undefined;
  const ms = parseDate(value);
  if (unit === undefined || ms === undefined) return undefined;
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  }[unit];
}

function dateDiff(part: unknown, start: unknown, end: unknown): unknown {
  const unit = str(part) ? DATE_PARTS[part.toLowerCase()] : undefined;
  const [a, b] = [parseDate(start), parseDate(end)];
  if (unit === undefined || a === undefined || b === undefined) return undefined;
  const [x, y] = [new Date(a), new Date(b)];
  const months = (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + y.getUTCMonth() - x.getUTCMonth();
  if (unit === "year") return y.getUTCFullYear() - x.getUTCFullYear();
  if (unit === "month") return months;
  // Cosmos counts boundaries crossed, so truncate both ends to the unit before subtracting.
  return Math.floor(b / UNIT_MS[unit]) - Math.floor(a / UNIT_MS[unit]);
}

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
  ACOS: numeric((n) => Math.acos(n)),
  ASIN: numeric((n) => Math.asin(n)),
  ATAN: numeric(Math.atan),
  ATN2: binaryNumeric((x, y) => Math.atan2(y, x)),
  COS: numeric(Math.cos),
  COT: numeric((n) => 1 / Math.tan(n)),
  DEGREES: numeric((n) => (n * 180) / Math.PI),
  EXP: numeric(Math.exp),
  LOG: between(1, 2, (n, base) =>
    num(n) && (base === undefined || num(base))
      ? finite(base === undefined ? Math.log(n) : Math.log(n) / Math.log(base))
      : undefined,
  ),
  LOG10: numeric((n) => Math.log10(n)),
  PI: fixed(0, () => Math.PI),
  POWER: binaryNumeric(Math.pow),
  RADIANS: numeric((n) => (n * Math.PI) / 180),
  SIGN: numeric(Math.sign),
  SIN: numeric(Math.sin),
  SQRT: numeric((n) => Math.sqrt(n)),
  SQUARE: numeric((n) => n * n),
  TAN: numeric(Math.tan),
  TRUNC: numeric(Math.trunc),
  NUMBERBIN: between(1, 2, (n, size = 1) =>
    num(n) && num(size) && size !== 0 ? Math.floor(n / size) * size : undefined,
  ),
  INTADD: intOp((a, b) => a + b),
  INTSUB: intOp((a, b) => a - b),
  INTMUL: intOp((a, b) => a * b),
  INTDIV: intOp((a, b) => Math.trunc(a / b)),
  INTMOD: intOp((a, b) => a % b),
  IS_FINITE_NUMBER: typeCheck((v) => num(v) && Number.isFinite(v)),
  IS_INTEGER: typeCheck((v) => Number.isSafeInteger(v)),
  REPLICATE: fixed(2, (s, n) =>
    str(s) && integer(n) && n >= 0 && s.length * n <= 10_000 ? s.repeat(n) : undefined,
  ),
  STRINGTOARRAY: parseAs(Array.isArray),
  STRINGTOBOOLEAN: parseAs((v) => typeof v === "boolean"),
  STRINGTONULL: parseAs((v) => v === null),
  STRINGTONUMBER: parseAs(num),
  STRINGTOOBJECT: parseAs(isPlainObject),
  STRINGJOIN: fixed(2, (arr, sep) =>
    Array.isArray(arr) && arr.every(str) && str(sep) ? arr.join(sep) : undefined,
  ),
  STRINGSPLIT: fixed(2, (s, sep) => (str(s) && str(sep) ? s.split(sep) : undefined)),
  REGEXMATCH: between(2, 3, (s, pattern, modifiers = "") => {
    if (!str(s) || !str(pattern) || !str(modifiers) || !/^[imsx]*$/.test(modifiers)) return undefined;
    // JavaScript has no `x` (ignore pattern whitespace) flag: strip unescaped whitespace from the pattern instead.
    const source = modifiers.includes("x")
      ? pattern.replace(/(\\.)|\s+/g, (m) => (m.startsWith("\\") ? m : ""))
      : pattern;
    try {
      return new RegExp(source, modifiers.replace("x", "")).test(s);
    } catch {
      return undefined;
    }
  }),
  ARRAY_CONCAT: between(2, Infinity, (...arrays) =>
    arrays.every(Array.isArray) ? arrays.flat(1) : undefined,
  ),
  ARRAY_SLICE: between(2, 3, arraySlice),
  ARRAY_CONTAINS_ANY: between(2, Infinity, (arr, ...values) =>
    Array.isArray(arr) ? values.some((v) => arr.some((item) => deepEqual(item, v))) : undefined,
  ),
  ARRAY_CONTAINS_ALL: between(2, Infinity, (arr, ...values) =>
    Array.isArray(arr) ? values.every((v) => arr.some((item) => deepEqual(item, v))) : undefined,
  ),
  SETINTERSECT: fixed(2, (a, b) => setFilter(a, b, (inB) => inB, false)),
  SETUNION: fixed(2, (a, b) => setFilter(a, b, () => true, true)),
  OBJECTTOARRAY: fixed(1, (o) =>
    isPlainObject(o) ? Object.entries(o).map(([k, v]) => ({ k, v })) : undefined,
  ),
  IIF: fixed(3, (test, yes, no) => (test === true ? yes : no)),
  GETCURRENTDATETIME: fixed(0, () => formatDate(Date.now())),
  GETCURRENTTIMESTAMP: fixed(0, () => Date.now()),
  GETCURRENTTICKS: fixed(0, () => EPOCH_TICKS + Date.now() * TICKS_PER_MS),
  DATETIMEADD: fixed(3, dateAdd),
  DATETIMEPART: fixed(2, datePart),
  DATETIMEDIFF: fixed(3, dateDiff),
  DATETIMETOTIMESTAMP: fixed(1, parseDate),
  DATETIMETOTICKS: fixed(1, (v) => {
    const ms = parseDate(v);
    return ms === undefined ? undefined : EPOCH_TICKS + ms * TICKS_PER_MS;
  }),
  TIMESTAMPTODATETIME: fixed(1, (ms) => (num(ms) ? formatDate(ms) : undefined)),
  TICKSTODATETIME: fixed(1, (t) => (num(t) ? formatDate((t - EPOCH_TICKS) / TICKS_PER_MS) : undefined)),
  ST_DISTANCE: fixed(2, distance),
  ST_WITHIN: fixed(2, within),
  ST_INTERSECTS: fixed(2, intersectsGeometry),
  ST_ISVALID: fixed(1, (g) => geometryProblem(g) === undefined),
  ST_ISVALIDDETAILED: fixed(1, (g) => {
    const reason = geometryProblem(g);
    return reason === undefined ? { valid: true } : { valid: false, reason };
  }),
};

/** The entry for an upper-cased function name the validator has accepted. */
export function builtinFunction(name: string): BuiltinFunction {
  if (!Object.hasOwn(BUILTIN_FUNCTIONS, name)) throw new Error(`No built-in function named ${name}`);
  return BUILTIN_FUNCTIONS[name];
}
