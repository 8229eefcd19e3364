/**
 * The syntax tree of an Azure Cosmos DB for NoSQL query, as the parser builds it and the validator and evaluator
 * read it. Every node carries its character range in the query text so errors can point at it.
 */

/** A JSON value as it can appear in a query literal. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type BinaryOperator =
  "=" | "!=" | "<" | "<=" | ">" | ">=" | "AND" | "OR" | "+" | "-" | "*" | "/" | "%" | "||" | "??";

export type AggregateName = "COUNT" | "SUM" | "MIN" | "MAX" | "AVG" | "MAKELIST" | "MAKESET";

interface Node {
  /** Character offset of the node's first character in the query text. */
  start: number;
  /** Character offset just past the node's last character. */
  end: number;
}

export interface LiteralExpr extends Node {
  kind: "literal";
  value: JsonValue | undefined;
}
export interface ParameterExpr extends Node {
  kind: "parameter";
  /** Name including the leading `@`, as the SDK sends it. */
  name: string;
}
/** A bare identifier; after validation it always names the FROM alias. */
export interface IdentifierExpr extends Node {
  kind: "identifier";
  name: string;
}
/** `c.a`, `c["a b"]` (string key) or `c.arr[0]` (integer key). */
export interface PropertyExpr extends Node {
  kind: "property";
  object: Expr;
  key: string | number;
}
/** `c[@p]`, `c[expr]`: key computed per row; a string reads a property, an integer an array element. */
export interface IndexExpr extends Node {
  kind: "index";
  object: Expr;
  key: Expr;
}
export interface UnaryExpr extends Node {
  kind: "unary";
  op: "NOT" | "-" | "+";
  operand: Expr;
}
export interface BinaryExpr extends Node {
  kind: "binary";
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}
export interface ConditionalExpr extends Node {
  kind: "conditional";
  test: Expr;
  consequent: Expr;
  alternate: Expr;
}
export interface InExpr extends Node {
  kind: "in";
  operand: Expr;
  list: Expr[];
  negated: boolean;
}
export interface BetweenExpr extends Node {
  kind: "between";
  operand: Expr;
  low: Expr;
  high: Expr;
  negated: boolean;
}
export interface LikeExpr extends Node {
  kind: "like";
  operand: Expr;
  pattern: Expr;
  escape?: Expr;
  negated: boolean;
}
/** Built-in scalar function call; `name` is upper-cased. */
export interface CallExpr extends Node {
  kind: "call";
  name: string;
  args: Expr[];
  /**
   * Set for `udf.<name>(…)`, a call of one of the container's user-defined functions (`name` as written):
   * `implementation` is bound at query time, by `bindUserFunctions`.
   */
  udf?: { implementation?: (...args: unknown[]) => unknown };
}
export interface AggregateExpr extends Node {
  kind: "aggregate";
  name: AggregateName;
  arg: Expr;
}
export interface ObjectExpr extends Node {
  kind: "object";
  properties: { name: string; value: Expr }[];
}
export interface ArrayExpr extends Node {
  kind: "array";
  items: Expr[];
}

export type Expr =
  | LiteralExpr
  | ParameterExpr
  | IdentifierExpr
  | PropertyExpr
  | IndexExpr
  | UnaryExpr
  | BinaryExpr
  | ConditionalExpr
  | InExpr
  | BetweenExpr
  | LikeExpr
  | CallExpr
  | AggregateExpr
  | ObjectExpr
  | ArrayExpr;

/** TOP / OFFSET / LIMIT operand: a non-negative integer literal or a parameter checked at execution time. */
export type CountExpr = (Node & { kind: "literal"; value: number }) | ParameterExpr;

export interface SelectItem {
  expr: Expr;
  /** Output property name: the explicit alias, the last property name of a path, or `$1`, `$2`, ... */
  name: string;
}

export type SelectClause =
  { kind: "star" } | { kind: "value"; expr: Expr } | { kind: "list"; items: SelectItem[] };

export interface OrderByItem {
  expr: Expr;
  descending: boolean;
}

/**
 * `FROM Families f` has container `Families`, alias `f`; `FROM root` has container and alias `root`.
 * `FROM x IN Families.children` has container `Families`, alias `x`, and `path` (rooted at the container name):
 * its rows are the elements of that array in each item.
 */
export interface FromClause {
  container: string;
  alias: string;
  path?: Expr;
}

export interface JoinClause {
  alias: string;
  /** The array whose elements `alias` takes, evaluated over the aliases bound before it. */
  source: Expr;
}

export interface ParsedQuery {
  distinct: boolean;
  top?: CountExpr;
  select: SelectClause;
  from: FromClause;
  /** `JOIN t IN c.tags ...`: each adds an alias bound to every element of its array, per row so far. */
  joins?: JoinClause[];
  where?: Expr;
  orderBy?: OrderByItem[];
  offset?: CountExpr;
  limit?: CountExpr;
  /** `GROUP BY expr, ...`: one output row per distinct combination of values. */
  groupBy?: Expr[];
  /**
   * True when rows are folded together: the select clause contains aggregate functions (one result row) or the
   * query has a GROUP BY (one row per group). Such queries cannot stream item by item.
   */
  aggregate: boolean;
}

/** The direct sub-expressions of `expr`, for walks over the tree. */
export function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case "literal":
    case "parameter":
    case "identifier":
      return [];
    case "property":
      return [expr.object];
    case "index":
      return [expr.object, expr.key];
    case "unary":
      return [expr.operand];
    case "binary":
      return [expr.left, expr.right];
    case "conditional":
      return [expr.test, expr.consequent, expr.alternate];
    case "in":
      return [expr.operand, ...expr.list];
    case "between":
      return [expr.operand, expr.low, expr.high];
    case "like":
      return expr.escape ? [expr.operand, expr.pattern, expr.escape] : [expr.operand, expr.pattern];
    case "call":
      return expr.args;
    case "aggregate":
      return [expr.arg];
    case "object":
      return expr.properties.map((p) => p.value);
    case "array":
      return expr.items;
  }
}
