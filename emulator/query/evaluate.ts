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
import { accumulator, type Accumulator } from "./aggregates";
import type { AggregateName, CountExpr, Expr, ParsedQuery } from "./ast";
import { builtinFunction } from "./functions";
import { boundUserFunction } from "./user-functions";
import { QuerySyntaxError } from "./query-error";
import {
  ARRAY,
  arithmetic,
  deepEqual,
  distinctKey,
  compareForOrder,
  equals,
  getMember,
  relate,
  setOwn,
  truthTable,
  typeRank,
  UNDEFINED,
} from "./values";

export { parseQuery } from "./parser";
export { QuerySyntaxError } from "./query-error";
export { readsDocuments } from "./validator";
export type { ParsedQuery } from "./ast";

type Fn = (doc: unknown) => unknown;

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
  /**
   * @param scope the aliases a row binds, in order: with one alias a row is that value itself, with several
   *   (JOIN) it is an array holding them
   */
  constructor(
    private readonly parameters: Record<string, unknown>,
    private readonly scope: readonly string[],
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
      case "identifier": {
        if (this.scope.length === 1) return { fn: (row) => row, constant: false };
        const index = this.scope.indexOf(expr.name);
        return { fn: (row) => (row as unknown[])[index], constant: false };
      }
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
        const impl = expr.udf ? boundUserFunction(expr) : builtinFunction(expr.name).apply;
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
        this.aggregates.push({
          name: expr.name,
          arg: new Compiler(this.parameters, this.scope).compileFn(expr.arg),
        });
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
    if (root.kind === "identifier" && this.scope.length === 1) {
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
  const scope = [query.from.alias, ...(query.joins ?? []).map((j) => j.alias)];
  const compiler = () => new Compiler(parameters, scope);
  const where = query.where ? compiler().compileFn(query.where) : undefined;
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

  function* matching(): Generator<unknown> {
    for (const row of inputRows(query, documents, parameters))
      if (where === undefined || where(row) === true) yield row;
  }

  if (query.aggregate) {
    for (const value of aggregateRows(query, matching(), parameters, scope)) if (!emit(value)) break;
    return results;
  }

  const project = compileProjection(select, compiler());

  if (!query.orderBy) {
    for (const row of matching()) if (!emit(project(row))) break;
    return results;
  }

  const keyFns = query.orderBy.map((item) => compiler().compileFn(item.expr));
  const sorted = sortRows(
    Array.from(matching(), (row) => ({ row, keys: keyFns.map((f) => f(row)) })),
    query.orderBy,
  );
  for (const { row } of sorted) if (!emit(project(row))) break;
  return results;
}

/**
 * Sorts rows by their precomputed ORDER BY keys, stable for ties. Like Cosmos, a single-expression ORDER BY
 * leaves out rows whose sort value is undefined.
 */
function sortRows<T extends { keys: unknown[] }>(
  rows: T[],
  orderBy: readonly { descending: boolean }[],
): T[] {
  const directions = orderBy.map((item) => (item.descending ? -1 : 1));
  const kept = directions.length === 1 ? rows.filter((row) => row.keys[0] !== undefined) : rows;
  return kept.sort((a, b) => {
    for (let i = 0; i < directions.length; i++) {
      const cmp = compareForOrder(a.keys[i], b.keys[i]);
      if (cmp !== 0) return cmp * directions[i];
    }
    return 0;
  });
}

/**
 * The rows the FROM and JOIN clauses produce. Without JOIN a row is the input value itself (the item, or with
 * `FROM x IN c.path` each element of that array); with JOINs it is an array of the values bound to each alias,
 * one row per combination of array elements (an input whose JOIN source is not an array yields no rows).
 */
function* inputRows(
  query: ParsedQuery,
  documents: Iterable<Record<string, unknown>>,
  parameters: Record<string, unknown>,
): Generator<unknown> {
  const path = query.from.path
    ? new Compiler(parameters, [query.from.container]).compileFn(query.from.path)
    : undefined;
  const joins = query.joins ?? [];
  const sources = joins.map((join, i) => {
    const bound = [query.from.alias, ...joins.slice(0, i).map((j) => j.alias)];
    const fn = new Compiler(parameters, bound).compileFn(join.source);
    // The first JOIN's source sees a lone alias, which rows carry unwrapped until the join builds arrays.
    return i === 0 ? (row: unknown[]) => fn(row[0]) : fn;
  });
  const expand = function* (row: unknown[], depth: number): Generator<unknown[]> {
    if (depth === sources.length) {
      yield row;
      return;
    }
    const values = sources[depth](row);
    if (!Array.isArray(values)) return;
    for (const value of values) yield* expand([...row, value], depth + 1);
  };
  for (const doc of documents) {
    const starts: unknown[] = path === undefined ? [doc] : asArray(path(doc));
    if (sources.length === 0) yield* starts;
    else for (const start of starts) yield* expand([start], 0);
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Folds rows into groups (one group without GROUP BY, even over no rows) and projects each group: aggregates read
 * the group's accumulated results, the other select expressions the group's first row (the validator allows only
 * GROUP BY expressions there, which are equal across the group).
 */
function* aggregateRows(
  query: ParsedQuery,
  rows: Iterable<unknown>,
  parameters: Record<string, unknown>,
  scope: readonly string[],
): Generator<unknown> {
  const slots: AggregateSlot[] = [];
  const finals: unknown[] = [];
  const compiler = new Compiler(parameters, scope, slots, finals);
  const project = compileProjection(query.select, compiler);
  const keyFns = (query.groupBy ?? []).map((expr) => new Compiler(parameters, scope).compileFn(expr));
  const groups = new Map<string, { row: unknown; accumulators: Accumulator[] }>();
  for (const row of rows) {
    const key = keyFns.map((f) => distinctKey(f(row))).join("\u0000");
    let group = groups.get(key);
    if (group === undefined) {
      group = { row, accumulators: slots.map((s) => accumulator(s.name)) };
      groups.set(key, group);
    }
    for (let i = 0; i < slots.length; i++) group.accumulators[i].add(slots[i].arg(row));
  }
  if (!query.groupBy && groups.size === 0) {
    groups.set("", { row: undefined, accumulators: slots.map((s) => accumulator(s.name)) });
  }
  // Without GROUP BY there is one row and ORDER BY has nothing to order; with it, groups sort by their first row.
  const orderFns = query.groupBy
    ? (query.orderBy ?? []).map((item) => new Compiler(parameters, scope).compileFn(item.expr))
    : [];
  const outputs = Array.from(groups.values(), (group) => {
    group.accumulators.forEach((acc, i) => (finals[i] = acc.result()));
    return { value: project(group.row), keys: orderFns.map((f) => f(group.row)) };
  });
  const ordered = orderFns.length > 0 && query.orderBy ? sortRows(outputs, query.orderBy) : outputs;
  for (const output of ordered) yield output.value;
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
