import { children, type CallExpr, type Expr, type ParsedQuery } from "./ast";
import { QuerySyntaxError } from "./query-error";

/**
 * `udf.<name>(…)` calls the container's user-defined function `<name>`. The parser marks such calls; the
 * query's handler binds them to the container's functions before the query runs, since which functions
 * exist is a property of the container, not of the query's text.
 */
export type UserFunction = (...args: unknown[]) => unknown;

/** Binds every `udf.` call of `query` to `resolve(name)`; a name it does not know answers 400. */
export function bindUserFunctions(
  query: ParsedQuery,
  resolve: (name: string) => UserFunction | undefined,
): void {
  const bind = (expr: Expr): void => {
    if (expr.kind === "call" && expr.udf) {
      const implementation = resolve(expr.name);
      if (!implementation) throw unknownFunction(expr);
      expr.udf.implementation = implementation;
    }
    for (const child of children(expr)) bind(child);
  };
  for (const expr of queryExpressions(query)) bind(expr);
}

/** The implementation bound to a `udf.` call; one never bound (a query not run against a container) is 400. */
export function boundUserFunction(expr: CallExpr): UserFunction {
  const implementation = expr.udf?.implementation;
  if (!implementation) throw unknownFunction(expr);
  return implementation;
}

function unknownFunction(expr: CallExpr): QuerySyntaxError {
  return new QuerySyntaxError(
    `'udf.${expr.name}' is not a recognized user-defined function of this container.`,
    expr.start,
    expr.end,
    "SC2005",
  );
}

function queryExpressions(query: ParsedQuery): Expr[] {
  const select =
    query.select.kind === "star"
      ? []
      : query.select.kind === "value"
        ? [query.select.expr]
        : query.select.items.map((item) => item.expr);
  return [
    ...select,
    ...(query.from.path ? [query.from.path] : []),
    ...(query.joins ?? []).map((join) => join.source),
    ...(query.where ? [query.where] : []),
    ...(query.groupBy ?? []),
    ...(query.orderBy ?? []).map((item) => item.expr),
  ];
}
