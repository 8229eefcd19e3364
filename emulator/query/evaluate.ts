/**
 * Executes a {@link ParsedQuery} over JSON documents with Cosmos DB for NoSQL semantics.
 *
 * The AST is compiled once per execution into plain closures (`(doc) => value`); parameters and constant
 * sub-expressions are folded at compile time, so the per-document loop only runs the closures.
 *
 * Semantics follow Cosmos: `undefined` (a missing property, or the result of an ill-typed operation) propagates
 * through operators; comparing values of different types yields `undefined`; AND/OR/NOT use three-valued logic and
 * treat non-booleans as `undefined`; WHERE keeps only documents for which the filter is exactly `true`.
 */
import { QuerySyntaxError, type AggregateName, type CountExpr, type Expr, type ParsedQuery } from "./parser";

export { parseQuery, QuerySyntaxError, readsDocuments } from "./parser";
export type { ParsedQuery } from "./parser";

type Fn = (doc: unknown) => unknown;

// ---------------------------------------------------------------------------------------------------------------
// Value helpers

/** Cosmos type order: undefined < null < boolean < number < string < array < object. */
const UNDEFINED = 0;
const NULL = 1;
const BOOLEAN = 2;
const NUMBER = 3;
const STRING = 4;
const ARRAY = 5;
const OBJECT = 6;

function typeRank(value: unknown): number {
  switch (typeof value) {
    case "boolean":
      return BOOLEAN;
    case "number":
      return NUMBER;
    case "string":
      return STRING;
    case "object":
      return value === null ? NULL : Array.isArray(value) ? ARRAY : OBJECT;
    default:
      return UNDEFINED;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const rank = typeRank(a);
  if (rank !== typeRank(b)) return false;
  if (rank === ARRAY) {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((item, i) => deepEqual(item, y[i]));
  }
  if (rank === OBJECT) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = Object.keys(x).filter((k) => x[k] !== undefined);
    if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
    return keys.every((k) => Object.hasOwn(y, k) && deepEqual(x[k], y[k]));
  }
  return false;
}

/** Orders two values of the same primitive rank (null, boolean, number, string). */
function comparePrimitives(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === "boolean") return a ? 1 : -1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

/** Total order used by ORDER BY and MIN/MAX: by type rank, then by value (arrays and objects tie). */
export function compareForOrder(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  return ra >= ARRAY ? 0 : comparePrimitives(a, b);
}

/** `a = b`: undefined unless both values are defined and of the same type. */
function equals(a: unknown, b: unknown): boolean | undefined {
  const rank = typeRank(a);
  if (rank === UNDEFINED || rank !== typeRank(b)) return undefined;
  return rank < ARRAY ? a === b : deepEqual(a, b);
}

/** `<`, `<=`, `>`, `>=`, `!=`: only defined for two primitives of the same type. */
function relate(a: unknown, b: unknown): number | undefined {
  const rank = typeRank(a);
  if (rank === UNDEFINED || rank >= ARRAY || rank !== typeRank(b)) return undefined;
  return comparePrimitives(a, b);
}

function truthTable(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Reads `value[key]` the way a Cosmos property path does: own properties of objects, in-range array indexes. */
function getMember(value: unknown, key: unknown): unknown {
  if (typeof key === "string") {
    return isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  }
  if (typeof key === "number" && Array.isArray(value) && Number.isInteger(key) && key >= 0) return value[key];
  return undefined;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function arithmetic(result: number): number | undefined {
  return Number.isFinite(result) ? result : undefined;
}

/** Canonical string for DISTINCT: equal JSON values (ignoring key order) map to the same key. */
function distinctKey(value: unknown): string {
  switch (typeof value) {
    case "string":
      return "s" + value;
    case "number":
      return "n" + value;
    case "boolean":
      return value ? "t" : "f";
    default:
      return value === null ? "z" : "j" + canonicalJson(value);
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  return value === undefined ? "undefined" : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Built-in functions. Any argument of the wrong type makes the result undefined.

type Builtin = (...args: unknown[]) => unknown;

const str = (v: unknown): v is string => typeof v === "string";
const num = (v: unknown): v is number => typeof v === "number";

/** Two-string predicate with Cosmos' optional third `ignoreCase` boolean. */
function stringTest(test: (s: string, p: string) => boolean): Builtin {
  return (s, p, ignoreCase = false) => {
    if (!str(s) || !str(p) || typeof ignoreCase !== "boolean") return undefined;
    return ignoreCase ? test(s.toLowerCase(), p.toLowerCase()) : test(s, p);
  };
}

function partialMatch(item: unknown, probe: unknown): boolean {
  if (!isPlainObject(probe) || !isPlainObject(item)) return deepEqual(item, probe);
  return Object.keys(probe).every(
    (k) => probe[k] === undefined || (Object.hasOwn(item, k) && deepEqual(item[k], probe[k])),
  );
}

/** Implementations of {@link BUILTIN_FUNCTIONS}, keyed by upper-case name. */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  IS_DEFINED: (v) => v !== undefined,
  IS_NULL: (v) => v === null,
  IS_BOOL: (v) => typeof v === "boolean",
  IS_NUMBER: (v) => typeof v === "number",
  IS_STRING: (v) => typeof v === "string",
  IS_ARRAY: (v) => Array.isArray(v),
  IS_OBJECT: (v) => isPlainObject(v),
  IS_PRIMITIVE: (v) => typeRank(v) >= NULL && typeRank(v) <= STRING,
  STARTSWITH: stringTest((s, p) => s.startsWith(p)),
  ENDSWITH: stringTest((s, p) => s.endsWith(p)),
  CONTAINS: stringTest((s, p) => s.includes(p)),
  STRINGEQUALS: stringTest((s, p) => s === p),
  INDEX_OF: (s, p, from = 0) => (str(s) && str(p) && num(from) ? s.indexOf(p, from) : undefined),
  LOWER: (s) => (str(s) ? s.toLowerCase() : undefined),
  UPPER: (s) => (str(s) ? s.toUpperCase() : undefined),
  LENGTH: (s) => (str(s) ? s.length : undefined),
  TRIM: (s) => (str(s) ? s.trim() : undefined),
  LTRIM: (s) => (str(s) ? s.trimStart() : undefined),
  RTRIM: (s) => (str(s) ? s.trimEnd() : undefined),
  CONCAT: (...parts) => (parts.every(str) ? parts.join("") : undefined),
  SUBSTRING: (s, start, length) =>
    str(s) && num(start) && num(length)
      ? s.slice(Math.max(0, start), Math.max(0, start) + Math.max(0, length))
      : undefined,
  LEFT: (s, n) => (str(s) && num(n) ? s.slice(0, Math.max(0, n)) : undefined),
  RIGHT: (s, n) => (str(s) && num(n) ? (n <= 0 ? "" : s.slice(-n)) : undefined),
  REPLACE: (s, find, by) => (str(s) && str(find) && str(by) ? s.split(find).join(by) : undefined),
  REVERSE: (s) => (str(s) ? Array.from(s).reverse().join("") : undefined),
  TOSTRING: (v) => (v === undefined ? undefined : str(v) ? v : JSON.stringify(v)),
  ARRAY_CONTAINS: (arr, v, partial = false) => {
    if (!Array.isArray(arr) || typeof partial !== "boolean") return undefined;
    return arr.some((item) => (partial ? partialMatch(item, v) : deepEqual(item, v)));
  },
  ARRAY_LENGTH: (arr) => (Array.isArray(arr) ? arr.length : undefined),
  ABS: (n) => (num(n) ? Math.abs(n) : undefined),
  CEILING: (n) => (num(n) ? Math.ceil(n) : undefined),
  FLOOR: (n) => (num(n) ? Math.floor(n) : undefined),
  ROUND: (n) => (num(n) ? Math.sign(n) * Math.round(Math.abs(n)) : undefined),
};

// ---------------------------------------------------------------------------------------------------------------
// Compiler

interface Compiled {
  fn: Fn;
  /** True when the value does not depend on the document (folded at compile time). */
  constant: boolean;
}

interface AggregateSlot {
  name: AggregateName;
  arg: Fn;
}

const constant = (value: unknown): Compiled => ({ fn: () => value, constant: true });

const UNARY_OPERATORS: Readonly<Record<"NOT" | "-" | "+", (value: unknown) => unknown>> = {
  NOT: (value) => (typeof value === "boolean" ? !value : undefined),
  "-": (value) => (typeof value === "number" ? -value : undefined),
  "+": (value) => (typeof value === "number" ? value : undefined),
};

/** Turns a LIKE pattern (`%`, `_`, optional escape character) into an anchored regular expression. */
function likeRegExp(pattern: string, escape: string | undefined): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (escape !== undefined && ch === escape && i + 1 < pattern.length) {
      source += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (ch === "%") {
      source += ".*";
    } else if (ch === "_") {
      source += ".";
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "s");
}

class Compiler {
  /**
   * @param aggregates when given, aggregate calls are collected here and compile to reads of `finals`, the values
   *   computed after the scan
   */
  constructor(
    private readonly parameters: Record<string, unknown>,
    private readonly aggregates?: AggregateSlot[],
    private readonly finals?: unknown[],
  ) {}

  compileFn(expr: Expr): Fn {
    return this.compile(expr).fn;
  }

  /** Compiles `expr`; if everything under it is constant, evaluates it once and returns the value. */
  compile(expr: Expr): Compiled {
    const compiled = this.compileNode(expr);
    if (compiled.constant && expr.kind !== "literal" && expr.kind !== "parameter") {
      return constant(compiled.fn(undefined));
    }
    return compiled;
  }

  private compileNode(expr: Expr): Compiled {
    switch (expr.kind) {
      case "literal":
        return constant(expr.value);
      case "parameter":
        return constant(lookupParameter(this.parameters, expr.name));
      case "identifier":
        return { fn: (doc) => doc, constant: false };
      case "property":
        return this.compileProperty(expr);
      case "index": {
        const object = this.compile(expr.object);
        const key = this.compile(expr.key);
        return this.derive([object, key], (o, k) => (doc) => getMember(o(doc), k(doc)));
      }
      case "unary": {
        const apply = UNARY_OPERATORS[expr.op];
        return this.derive([this.compile(expr.operand)], (v) => (doc) => apply(v(doc)));
      }
      case "binary":
        return this.compileBinary(expr.op, this.compile(expr.left), this.compile(expr.right));
      case "conditional": {
        const parts = [this.compile(expr.test), this.compile(expr.consequent), this.compile(expr.alternate)];
        return this.derive(parts, (test, yes, no) => (doc) => (test(doc) === true ? yes(doc) : no(doc)));
      }
      case "in":
        return this.compileIn(expr.operand, expr.list, expr.negated);
      case "between": {
        const parts = [this.compile(expr.operand), this.compile(expr.low), this.compile(expr.high)];
        const negated = expr.negated;
        return this.derive(parts, (operand, low, high) => (doc) => {
          const value = operand(doc);
          const lowCmp = relate(value, low(doc));
          if (lowCmp !== undefined && lowCmp < 0) return negated;
          const highCmp = relate(value, high(doc));
          if (highCmp !== undefined && highCmp > 0) return negated;
          if (lowCmp === undefined || highCmp === undefined) return undefined;
          return !negated;
        });
      }
      case "like":
        return this.compileLike(expr.operand, expr.pattern, expr.escape, expr.negated);
      case "call": {
        const impl = BUILTINS[expr.name];
        if (impl === undefined) throw new Error(`Built-in function ${expr.name} has no implementation`);
        const args = expr.args.map((a) => this.compile(a));
        return this.derive(args, (...fns) => {
          switch (fns.length) {
            case 1: {
              const [a] = fns;
              return (doc) => impl(a(doc));
            }
            case 2: {
              const [a, b] = fns;
              return (doc) => impl(a(doc), b(doc));
            }
            case 3: {
              const [a, b, c] = fns;
              return (doc) => impl(a(doc), b(doc), c(doc));
            }
            default:
              return (doc) => impl(...fns.map((f) => f(doc)));
          }
        });
      }
      case "aggregate": {
        if (this.aggregates === undefined || this.finals === undefined) {
          throw new Error("Aggregate outside the select list of an aggregate query");
        }
        const index = this.aggregates.length;
        this.aggregates.push({ name: expr.name, arg: new Compiler(this.parameters).compileFn(expr.arg) });
        const finals = this.finals;
        return { fn: () => finals[index], constant: false };
      }
      case "object": {
        const names = expr.properties.map((p) => p.name);
        const values = expr.properties.map((p) => this.compile(p.value));
        return this.derive(values, (...fns) => (doc) => {
          const result: Record<string, unknown> = {};
          for (let i = 0; i < fns.length; i++) {
            const value = fns[i](doc);
            if (value !== undefined) setOwn(result, names[i], value);
          }
          return result;
        });
      }
      case "array": {
        const items = expr.items.map((item) => this.compile(item));
        return this.derive(items, (...fns) => (doc) => {
          const result: unknown[] = [];
          for (const f of fns) {
            const value = f(doc);
            if (value !== undefined) result.push(value);
          }
          return result;
        });
      }
    }
    throw new Error(`Unknown expression kind ${(expr as Expr).kind}`);
  }

  /** Builds a node from compiled children; it is constant when all children are. */
  private derive(parts: Compiled[], build: (...fns: Fn[]) => Fn): Compiled {
    return { fn: build(...parts.map((p) => p.fn)), constant: parts.every((p) => p.constant) };
  }

  /** `c.a.b[0]` rooted at the document compiles to a loop over a fixed key list. */
  private compileProperty(expr: Expr & { kind: "property" }): Compiled {
    const keys: (string | number)[] = [];
    let root: Expr = expr;
    while (root.kind === "property") {
      keys.unshift(root.key);
      root = root.object;
    }
    if (root.kind === "identifier") {
      if (keys.length === 1) {
        const [k] = keys;
        return { fn: (doc) => getMember(doc, k), constant: false };
      }
      if (keys.length === 2) {
        const [k1, k2] = keys;
        return { fn: (doc) => getMember(getMember(doc, k1), k2), constant: false };
      }
      return {
        fn: (doc) => {
          let value = doc;
          for (let i = 0; i < keys.length && value !== undefined; i++) value = getMember(value, keys[i]);
          return value;
        },
        constant: false,
      };
    }
    const key = expr.key;
    return this.derive([this.compile(expr.object)], (o) => (doc) => getMember(o(doc), key));
  }

  private compileBinary(op: string, left: Compiled, right: Compiled): Compiled {
    const parts = [left, right];
    const numeric = (f: (a: number, b: number) => number) =>
      this.derive(parts, (l, r) => (doc) => {
        const a = l(doc);
        const b = r(doc);
        return typeof a === "number" && typeof b === "number" ? arithmetic(f(a, b)) : undefined;
      });
    const relational = (test: (cmp: number) => boolean) =>
      this.derive(parts, (l, r) => (doc) => {
        const cmp = relate(l(doc), r(doc));
        return cmp === undefined ? undefined : test(cmp);
      });
    switch (op) {
      case "=": {
        if (right.constant && typeRank(right.fn(undefined)) < ARRAY) {
          // Fast path for `path = literal`: strict equality once the type matches.
          const expected = right.fn(undefined);
          const rank = typeRank(expected);
          if (rank === UNDEFINED) return constant(undefined);
          return this.derive([left], (l) => (doc) => {
            const value = l(doc);
            return typeRank(value) === rank ? value === expected : undefined;
          });
        }
        return this.derive(parts, (l, r) => (doc) => equals(l(doc), r(doc)));
      }
      case "!=":
        return relational((cmp) => cmp !== 0);
      case "<":
        return relational((cmp) => cmp < 0);
      case "<=":
        return relational((cmp) => cmp <= 0);
      case ">":
        return relational((cmp) => cmp > 0);
      case ">=":
        return relational((cmp) => cmp >= 0);
      case "AND":
        return this.derive(parts, (l, r) => (doc) => {
          const a = truthTable(l(doc));
          if (a === false) return false;
          const b = truthTable(r(doc));
          if (b === false) return false;
          return a === true && b === true ? true : undefined;
        });
      case "OR":
        return this.derive(parts, (l, r) => (doc) => {
          const a = truthTable(l(doc));
          if (a === true) return true;
          const b = truthTable(r(doc));
          if (b === true) return true;
          return a === false && b === false ? false : undefined;
        });
      case "+":
        return numeric((a, b) => a + b);
      case "-":
        return numeric((a, b) => a - b);
      case "*":
        return numeric((a, b) => a * b);
      case "/":
        return numeric((a, b) => a / b);
      case "%":
        return numeric((a, b) => a % b);
      case "||":
        return this.derive(parts, (l, r) => (doc) => {
          const a = l(doc);
          const b = r(doc);
          return typeof a === "string" && typeof b === "string" ? a + b : undefined;
        });
      case "??":
        return this.derive(parts, (l, r) => (doc) => {
          const a = l(doc);
          return a !== undefined ? a : r(doc);
        });
    }
    throw new Error(`Unknown operator ${op}`);
  }

  /**
   * `x IN (a, b, ...)`: undefined when x is undefined, otherwise whether x equals (same type and value) any
   * list item; NOT IN negates that.
   */
  private compileIn(operandExpr: Expr, listExprs: Expr[], negated: boolean): Compiled {
    const operand = this.compile(operandExpr);
    const list = listExprs.map((e) => this.compile(e));
    const values = list.every((c) => c.constant) ? list.map((c) => c.fn(undefined)) : [];
    if (values.length === list.length && values.every((v) => typeRank(v) < ARRAY)) {
      const set = new Set(values);
      return this.derive([operand], (o) => (doc) => {
        const value = o(doc);
        return value === undefined ? undefined : set.has(value) !== negated;
      });
    }
    return this.derive([operand, ...list], (o, ...items) => (doc) => {
      const value = o(doc);
      if (value === undefined) return undefined;
      return items.some((item) => deepEqual(value, item(doc))) !== negated;
    });
  }

  private compileLike(operandExpr: Expr, patternExpr: Expr, escapeExpr: Expr | undefined, negated: boolean) {
    const operand = this.compile(operandExpr);
    const pattern = this.compile(patternExpr);
    const escape = escapeExpr ? this.compile(escapeExpr) : constant(undefined);
    const match = (value: unknown, regExp: RegExp | undefined) =>
      typeof value === "string" && regExp !== undefined ? regExp.test(value) !== negated : undefined;
    const toRegExp = (p: unknown, e: unknown) =>
      typeof p === "string" && (e === undefined || (typeof e === "string" && e.length === 1))
        ? likeRegExp(p, e)
        : undefined;
    if (pattern.constant && escape.constant) {
      const regExp = toRegExp(pattern.fn(undefined), escape.fn(undefined));
      return this.derive([operand], (o) => (doc) => match(o(doc), regExp));
    }
    return this.derive(
      [operand, pattern, escape],
      (o, p, e) => (doc) => match(o(doc), toRegExp(p(doc), e(doc))),
    );
  }
}

function lookupParameter(parameters: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(parameters, name)) return parameters[name];
  const bare = name.slice(1);
  return Object.hasOwn(parameters, bare) ? parameters[bare] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregates

interface Accumulator {
  add(value: unknown): void;
  result(): unknown;
}

function accumulator(name: AggregateName): Accumulator {
  let count = 0;
  let sum = 0;
  let invalid = false;
  let best: unknown = undefined;
  switch (name) {
    case "COUNT":
      return {
        add: (v) => {
          if (v !== undefined) count++;
        },
        result: () => count,
      };
    case "SUM":
    case "AVG":
      return {
        add: (v) => {
          if (v === undefined) return;
          if (typeof v !== "number") invalid = true;
          else {
            sum += v;
            count++;
          }
        },
        result: () => (invalid ? undefined : name === "SUM" ? sum : count === 0 ? undefined : sum / count),
      };
    case "MIN":
    case "MAX": {
      const sign = name === "MIN" ? 1 : -1;
      return {
        add: (v) => {
          const rank = typeRank(v);
          if (rank === UNDEFINED) return;
          if (rank >= ARRAY) invalid = true;
          else if (best === undefined || sign * compareForOrder(v, best) < 0) best = v;
        },
        result: () => (invalid ? undefined : best),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Execution

function resolveCount(
  expr: CountExpr | undefined,
  parameters: Record<string, unknown>,
  clause: string,
): number {
  if (expr === undefined) return Infinity;
  if (expr.kind === "literal") return expr.value;
  const value = lookupParameter(parameters, expr.name);
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  throw new QuerySyntaxError(
    `The ${clause} value must be a non-negative integer; parameter '${expr.name}' is ${JSON.stringify(value) ?? "undefined"}.`,
    expr.start,
    expr.end,
    "SC2061",
  );
}

/**
 * Runs `query` over `documents` and returns the result items in order.
 *
 * @param parameters values by name as the SDK sends them (`{"@id": "x"}`); a name without `@` also matches.
 *   A parameter that is not supplied evaluates to undefined.
 * @throws QuerySyntaxError when a TOP/OFFSET/LIMIT parameter is not a non-negative integer
 */
export function executeQuery(
  query: ParsedQuery,
  documents: Iterable<Record<string, unknown>>,
  parameters: Record<string, unknown> = {},
): unknown[] {
  const top = resolveCount(query.top, parameters, "TOP");
  const offset = query.offset ? resolveCount(query.offset, parameters, "OFFSET") : 0;
  const take = Math.min(top, resolveCount(query.limit, parameters, "LIMIT"));
  const where = query.where ? new Compiler(parameters).compileFn(query.where) : undefined;
  const select = query.select;

  const results: unknown[] = [];
  if (take === 0) return results;
  const seen = query.distinct ? new Set<string>() : undefined;
  let skipped = 0;
  /** Applies DISTINCT, OFFSET and LIMIT/TOP to a projected value; returns false once the result is full. */
  const emit = (value: unknown): boolean => {
    if (value === undefined) return true;
    if (seen) {
      const key = distinctKey(value);
      if (seen.has(key)) return true;
      seen.add(key);
    }
    if (skipped < offset) {
      skipped++;
      return true;
    }
    results.push(value);
    return results.length < take;
  };

  if (query.aggregate) {
    const slots: AggregateSlot[] = [];
    const finals: unknown[] = [];
    const project = compileProjection(select, new Compiler(parameters, slots, finals));
    const accumulators = slots.map((s) => accumulator(s.name));
    const args = slots.map((s) => s.arg);
    for (const doc of documents) {
      if (where !== undefined && where(doc) !== true) continue;
      for (let i = 0; i < args.length; i++) accumulators[i].add(args[i](doc));
    }
    accumulators.forEach((acc, i) => (finals[i] = acc.result()));
    emit(project(undefined));
    return results;
  }

  const project = compileProjection(select, new Compiler(parameters));

  if (!query.orderBy) {
    for (const doc of documents) {
      if (where !== undefined && where(doc) !== true) continue;
      if (!emit(project(doc))) break;
    }
    return results;
  }

  const keyFns = query.orderBy.map((item) => new Compiler(parameters).compileFn(item.expr));
  const directions = query.orderBy.map((item) => (item.descending ? -1 : 1));
  let rows: { doc: unknown; keys: unknown[] }[] = [];
  for (const doc of documents) {
    if (where !== undefined && where(doc) !== true) continue;
    rows.push({ doc, keys: keyFns.map((f) => f(doc)) });
  }
  if (keyFns.length === 1) {
    // Like Cosmos, a single-property ORDER BY leaves out items whose sort value is undefined.
    rows = rows.filter((row) => row.keys[0] !== undefined);
  }
  rows.sort((a, b) => {
    for (let i = 0; i < directions.length; i++) {
      const cmp = compareForOrder(a.keys[i], b.keys[i]);
      if (cmp !== 0) return cmp * directions[i];
    }
    return 0;
  });
  for (const row of rows) if (!emit(project(row.doc))) break;
  return results;
}

/** The per-document projection; returns undefined for items that produce no output (`SELECT VALUE undefined`). */
function compileProjection(select: ParsedQuery["select"], compiler: Compiler): Fn {
  if (select.kind === "star") return (doc) => doc;
  if (select.kind === "value") return compiler.compileFn(select.expr);
  const names = select.items.map((item) => item.name);
  const fns = select.items.map((item) => compiler.compileFn(item.expr));
  return (doc) => {
    const result: Record<string, unknown> = {};
    for (let i = 0; i < fns.length; i++) {
      const value = fns[i](doc);
      if (value !== undefined) setOwn(result, names[i], value);
    }
    return result;
  };
}

/** Turns the SDK's `parameters` array (`[{name: "@id", value: "x"}]`) into the map {@link executeQuery} takes. */
export function parametersFromSpec(
  list: readonly { name: string; value?: unknown }[] | undefined,
): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const { name, value } of list ?? [])
    setOwn(parameters, name.startsWith("@") ? name : `@${name}`, value);
  return parameters;
}
