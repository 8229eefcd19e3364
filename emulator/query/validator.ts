/**
 * Semantic checks over a parsed query, and what the query handler needs to know about it (whether it reads the
 * documents at all). Syntax is the parser's job; everything here is about meaning.
 */
import { children, type CallExpr, type Expr, type ParsedQuery } from "./ast";
import { AGGREGATE_ARITY, AGGREGATE_NAMES } from "./aggregates";
import { BUILTIN_FUNCTIONS } from "./functions";
import { QuerySyntaxError } from "./query-error";

/**
 * True when the query's answer depends on the items' content (a WHERE, an ORDER BY, or any reference to the
 * FROM alias, a JOIN, a GROUP BY); false when it depends only on how many items there are, as `SELECT VALUE COUNT(1) FROM c`.
 */
export function readsDocuments(query: ParsedQuery): boolean {
  if (query.where || query.orderBy || query.select.kind === "star") return true;
  if (query.from.path || query.joins || query.groupBy) return true;
  const reads = (expr: Expr): boolean => expr.kind === "identifier" || children(expr).some(reads);
  return selectedExpressions(query).some(reads);
}

function selectedExpressions(query: ParsedQuery): Expr[] {
  if (query.select.kind === "star") return [];
  return query.select.kind === "value" ? [query.select.expr] : query.select.items.map((i) => i.expr);
}

/**
 * The semantic checks the service answers with 400 once a query parses: identifiers must name an alias in scope,
 * functions must exist and get the right number of arguments, aggregates may only appear (un-nested) in the select
 * list, and an aggregate select list may only reference the document inside aggregates. Sets
 * {@link ParsedQuery.aggregate}.
 */
export function validate(query: ParsedQuery, text: string): void {
  const check = (expr: Expr, scope: readonly string[], inSelect: boolean, inAggregate: boolean): void => {
    if (expr.kind === "identifier" && !scope.includes(expr.name)) {
      throw new QuerySyntaxError(
        `Identifier '${expr.name}' could not be resolved.`,
        expr.start,
        expr.end,
        "SC2001",
      );
    }
    // A user-defined function's arity is its script's business: it is resolved when the query runs.
    if (expr.kind === "call" && !expr.udf) checkCall(expr, text);
    if (expr.kind === "aggregate") {
      if (!inSelect) {
        throw new QuerySyntaxError(
          `Aggregate function '${expr.name}' is only allowed in the SELECT clause.`,
          expr.start,
          expr.end,
          "SC2101",
        );
      }
      if (inAggregate) {
        throw new QuerySyntaxError(
          "Cannot perform an aggregate function on an expression containing an aggregate or a subquery.",
          expr.start,
          expr.end,
          "SC2102",
        );
      }
      query.aggregate = true;
      inAggregate = true;
    }
    for (const child of children(expr)) check(child, scope, inSelect, inAggregate);
  };

  // Each input's path sees the aliases bound before it; everything after FROM sees them all.
  if (query.from.path) check(query.from.path, [query.from.container], false, false);
  const scope = [query.from.alias];
  for (const join of query.joins ?? []) {
    check(join.source, scope, false, false);
    scope.push(join.alias);
  }
  if (query.select.kind === "star" && scope.length > 1) {
    throw new QuerySyntaxError("'SELECT *' is only valid with a single input set.", 0, text.length, "SC2030");
  }

  const selected = selectedExpressions(query);
  for (const expr of selected) check(expr, scope, true, false);
  if (query.where) check(query.where, scope, false, false);
  for (const expr of query.groupBy ?? []) check(expr, scope, false, false);
  for (const item of query.orderBy ?? []) check(item.expr, scope, false, false);
  if (query.groupBy) query.aggregate = true;

  if (query.aggregate) {
    // Every reference to the rows in the select list must sit inside an aggregate or be a GROUP BY expression.
    const grouped = (query.groupBy ?? []).map(shape);
    const rowReference = (expr: Expr): Expr | undefined => {
      if (expr.kind === "aggregate" || grouped.includes(shape(expr))) return undefined;
      if (expr.kind === "identifier") return expr;
      if (expr.kind === "property" || expr.kind === "index") {
        let root: Expr = expr;
        while (root.kind === "property" || root.kind === "index") root = root.object;
        if (root.kind === "identifier" && !grouped.includes(shape(root))) return expr;
      }
      for (const child of children(expr)) {
        const found = rowReference(child);
        if (found) return found;
      }
      return undefined;
    };
    for (const expr of selected) {
      const found = rowReference(expr);
      if (found) {
        const because = query.groupBy
          ? "not contained in either an aggregate function or the GROUP BY clause."
          : "not contained in an aggregate function.";
        throw new QuerySyntaxError(
          `Property reference '${text.slice(found.start, found.end)}' is invalid in the select list because it is ` +
            because,
          found.start,
          found.end,
          "SC2102",
        );
      }
    }
  }
}

/** An expression's structure without its position, to match select-list expressions against GROUP BY ones. */
function shape(expr: Expr): string {
  return JSON.stringify(expr, (key, value: unknown) =>
    key === "start" || key === "end" ? undefined : value,
  );
}

/** Unknown functions answer SC2005, wrong argument counts SC2050, as the service's do. */
function checkCall(expr: CallExpr, text: string): void {
  const arity = AGGREGATE_NAMES.has(expr.name)
    ? AGGREGATE_ARITY
    : Object.hasOwn(BUILTIN_FUNCTIONS, expr.name)
      ? BUILTIN_FUNCTIONS[expr.name].arity
      : undefined;
  if (arity === undefined) {
    // Names are ASCII identifiers, so the written name is as long as the upper-cased one.
    const written = text.slice(expr.start, expr.start + expr.name.length);
    throw new QuerySyntaxError(
      `'${written}' is not a recognized built-in function name.`,
      expr.start,
      expr.end,
      "SC2005",
    );
  }
  const [min, max] = arity;
  if (expr.args.length >= min && expr.args.length <= max) return;
  const count = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
  throw new QuerySyntaxError(
    `The ${expr.name} function requires ${count} argument(s).`,
    expr.start,
    expr.end,
    "SC2050",
  );
}
