/**
 * Tokenizer and recursive-descent parser for the subset of the Azure Cosmos DB for NoSQL query dialect that the
 * local emulator answers server-side. The output is a typed AST ({@link ParsedQuery}, see `ast.ts`) that
 * `validator.ts` checks and `evaluate.ts` compiles to closures. Every problem with the query text is reported as a
 * {@link QuerySyntaxError} carrying the Cosmos-style message and the character range.
 *
 * Grammar (keywords are case-insensitive, identifiers and property names are case-sensitive):
 *
 *   SELECT [DISTINCT] [TOP n] (* | VALUE expr | expr [[AS] alias], ...)
 *   FROM (container [[AS] alias] | alias IN container.path) [JOIN alias IN expr ...]
 *   [WHERE expr] [GROUP BY expr, ...] [ORDER BY expr [ASC|DESC], ...] [OFFSET n LIMIT m]
 *
 * where n and m are non-negative integer literals or parameters.
 */

import { AGGREGATE_NAMES } from "./aggregates";
import type {
  AggregateName,
  BinaryExpr,
  BinaryOperator,
  CallExpr,
  CountExpr,
  Expr,
  FromClause,
  JoinClause,
  JsonValue,
  ObjectExpr,
  OrderByItem,
  ParsedQuery,
  SelectClause,
  SelectItem,
} from "./ast";
import { tokenize, type Token } from "./lexer";
import { QuerySyntaxError } from "./query-error";
import { validate } from "./validator";

export type * from "./ast";
export { QuerySyntaxError } from "./query-error";

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(["=", "!=", "<", "<=", ">", ">="]);

const KEYWORD_LITERALS: Readonly<Record<string, JsonValue | undefined>> = {
  TRUE: true,
  FALSE: false,
  NULL: null,
  UNDEFINED: undefined,
};

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  // --- token helpers -------------------------------------------------------------------------------------------

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.index++;
    return token;
  }

  /** End offset of the most recently consumed token. */
  private get lastEnd(): number {
    return this.index === 0 ? 0 : this.tokens[this.index - 1].end;
  }

  private isKeyword(keyword: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "keyword" && token.value === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: string): Token {
    if (!this.isKeyword(keyword)) throw this.error(keyword);
    return this.advance();
  }

  private isPunct(symbol: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "punctuation" && token.value === symbol;
  }

  private acceptPunct(symbol: string): boolean {
    if (!this.isPunct(symbol)) return false;
    this.index++;
    return true;
  }

  private expectPunct(symbol: string): Token {
    if (!this.isPunct(symbol)) throw this.error(`'${symbol}'`);
    return this.advance();
  }

  private expectIdentifier(what: string): Token {
    if (this.peek().kind !== "identifier") throw this.error(what);
    return this.advance();
  }

  /** A syntax error at `token` (default: the next token) saying what was expected instead. */
  private error(expected: string, token = this.peek()): QuerySyntaxError {
    if (token.kind === "eof") {
      return new QuerySyntaxError(
        "Syntax error, unexpected end-of-file.",
        token.start,
        token.end,
        "SC1001",
        expected,
      );
    }
    const near = this.text.slice(token.start, token.end);
    return new QuerySyntaxError(
      `Syntax error, incorrect syntax near '${near}'.`,
      token.start,
      token.end,
      "SC1001",
      expected,
    );
  }

  // --- query ---------------------------------------------------------------------------------------------------

  parseQuery(): ParsedQuery {
    this.expectKeyword("SELECT");
    const distinct = this.acceptKeyword("DISTINCT");
    const top = this.acceptKeyword("TOP") ? this.parseCount("TOP") : undefined;
    const select = this.parseSelection();

    this.expectKeyword("FROM");
    const from = this.parseFrom();
    const joins: JoinClause[] = [];
    while (this.acceptKeyword("JOIN")) {
      const alias = this.expectIdentifier("an alias after JOIN").value;
      this.expectKeyword("IN");
      joins.push({ alias, source: this.parseExpression() });
    }

    const where = this.acceptKeyword("WHERE") ? this.parseExpression() : undefined;
    let groupBy: Expr[] | undefined;
    if (this.acceptKeyword("GROUP")) {
      this.expectKeyword("BY");
      groupBy = [];
      do groupBy.push(this.parseExpression());
      while (this.acceptPunct(","));
    }

    let orderBy: OrderByItem[] | undefined;
    if (this.acceptKeyword("ORDER")) {
      this.expectKeyword("BY");
      orderBy = [];
      do {
        const expr = this.parseExpression();
        let descending = false;
        if (this.acceptKeyword("DESC")) descending = true;
        else this.acceptKeyword("ASC");
        orderBy.push({ expr, descending });
      } while (this.acceptPunct(","));
    }

    let offset: CountExpr | undefined;
    let limit: CountExpr | undefined;
    if (this.acceptKeyword("OFFSET")) {
      offset = this.parseCount("OFFSET");
      this.expectKeyword("LIMIT");
      limit = this.parseCount("LIMIT");
    }

    if (this.peek().kind !== "eof") {
      const rest = offset
        ? []
        : orderBy
          ? ["OFFSET"]
          : groupBy
            ? ["ORDER BY", "OFFSET"]
            : where
              ? ["GROUP BY", "ORDER BY", "OFFSET"]
              : ["JOIN", "WHERE", "GROUP BY", "ORDER BY", "OFFSET"];
      throw this.error([...rest, "end of query"].join(", "));
    }
    return {
      distinct,
      top,
      select,
      from,
      ...(joins.length > 0 ? { joins } : {}),
      where,
      ...(groupBy ? { groupBy } : {}),
      orderBy,
      offset,
      limit,
      aggregate: false,
    };
  }

  /** `container [[AS] alias]` or `alias IN container.path`. */
  private parseFrom(): FromClause {
    const first = this.expectIdentifier("a container name or alias after FROM");
    if (this.acceptKeyword("IN")) {
      const root = this.expectIdentifier("a container name after IN");
      const path = this.parsePostfix({
        kind: "identifier",
        name: root.value,
        start: root.start,
        end: root.end,
      });
      return { container: root.value, alias: first.value, path };
    }
    let alias = first;
    if (this.acceptKeyword("AS")) alias = this.expectIdentifier("an alias after AS");
    else if (this.peek().kind === "identifier") alias = this.advance();
    return { container: first.value, alias: alias.value };
  }

  private parseCount(clause: string): CountExpr {
    const token = this.peek();
    if (token.kind === "parameter") {
      this.advance();
      return { kind: "parameter", name: token.value, start: token.start, end: token.end };
    }
    if (token.kind === "number" && Number.isSafeInteger(token.number)) {
      this.advance();
      return { kind: "literal", value: token.number, start: token.start, end: token.end };
    }
    throw this.error(`a non-negative integer or parameter after ${clause}`);
  }

  private parseSelection(): SelectClause {
    if (this.acceptPunct("*")) return { kind: "star" };
    if (this.acceptKeyword("VALUE")) return { kind: "value", expr: this.parseExpression() };
    const items: SelectItem[] = [];
    let unnamed = 0;
    do {
      if (this.isKeyword("FROM")) throw this.error("*, VALUE or an expression");
      const expr = this.parseExpression();
      let name: string | undefined;
      if (this.acceptKeyword("AS")) name = this.expectIdentifier("an alias after AS").value;
      else if (this.peek().kind === "identifier") name = this.advance().value;
      if (name === undefined) {
        if (expr.kind === "property" && typeof expr.key === "string") name = expr.key;
        else if (expr.kind === "identifier") name = expr.name;
        else name = `$${++unnamed}`;
      }
      items.push({ expr, name });
    } while (this.acceptPunct(","));
    return { kind: "list", items };
  }

  // --- expressions, lowest precedence first ----------------------------------------------------------------------

  parseExpression(): Expr {
    const test = this.parseCoalesce();
    if (!this.acceptPunct("?")) return test;
    const consequent = this.parseExpression();
    this.expectPunct(":");
    const alternate = this.parseExpression();
    return { kind: "conditional", test, consequent, alternate, start: test.start, end: alternate.end };
  }

  private parseCoalesce(): Expr {
    let left = this.parseOr();
    while (this.acceptPunct("??")) left = this.binary("??", left, this.parseOr());
    return left;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.acceptKeyword("OR")) left = this.binary("OR", left, this.parseAnd());
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.acceptKeyword("AND")) left = this.binary("AND", left, this.parseNot());
    return left;
  }

  private parseNot(): Expr {
    const token = this.peek();
    if (!this.acceptKeyword("NOT")) return this.parsePredicate();
    const operand = this.parseNot();
    return { kind: "unary", op: "NOT", operand, start: token.start, end: operand.end };
  }

  /** `x [NOT] IN (...)`, `x [NOT] BETWEEN a AND b`, `x [NOT] LIKE p [ESCAPE e]`, or a plain comparison. */
  private parsePredicate(): Expr {
    const operand = this.parseComparison();
    const negated =
      this.isKeyword("NOT") &&
      (this.isKeyword("IN", 1) || this.isKeyword("BETWEEN", 1) || this.isKeyword("LIKE", 1));
    if (negated) this.advance();
    if (this.acceptKeyword("IN")) {
      this.expectPunct("(");
      const list: Expr[] = [];
      do list.push(this.parseExpression());
      while (this.acceptPunct(","));
      this.expectPunct(")");
      return { kind: "in", operand, list, negated, start: operand.start, end: this.lastEnd };
    }
    if (this.acceptKeyword("BETWEEN")) {
      const low = this.parseAdditive();
      this.expectKeyword("AND");
      const high = this.parseAdditive();
      return { kind: "between", operand, low, high, negated, start: operand.start, end: high.end };
    }
    if (this.acceptKeyword("LIKE")) {
      const pattern = this.parseAdditive();
      const escape = this.acceptKeyword("ESCAPE") ? this.parseAdditive() : undefined;
      return { kind: "like", operand, pattern, escape, negated, start: operand.start, end: this.lastEnd };
    }
    return operand;
  }

  private parseComparison(): Expr {
    let left = this.parseAdditive();
    for (;;) {
      const token = this.peek();
      if (token.kind !== "punctuation" || !COMPARISON_OPERATORS.has(token.value)) return left;
      this.advance();
      left = this.binary(token.value, left, this.parseAdditive());
    }
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (!(
        token.kind === "punctuation" &&
        (token.value === "+" || token.value === "-" || token.value === "||")
      )) {
        return left;
      }
      this.advance();
      left = this.binary(token.value, left, this.parseMultiplicative());
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (!(
        token.kind === "punctuation" &&
        (token.value === "*" || token.value === "/" || token.value === "%")
      )) {
        return left;
      }
      this.advance();
      left = this.binary(token.value, left, this.parseUnary());
    }
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (this.acceptPunct("-") || this.acceptPunct("+")) {
      const operand = this.parseUnary();
      const op = token.value as "-" | "+";
      if (operand.kind === "literal" && typeof operand.value === "number") {
        // Fold signed numeric literals so `TOP`-like contexts and IN lists see plain numbers.
        return {
          kind: "literal",
          value: op === "-" ? -operand.value : operand.value,
          start: token.start,
          end: operand.end,
        };
      }
      return { kind: "unary", op, operand, start: token.start, end: operand.end };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(expr: Expr): Expr {
    for (;;) {
      if (this.acceptPunct(".")) {
        // Keywords are allowed as property names after a dot (`c.value`, `c.order`).
        const token = this.peek();
        if (token.kind !== "identifier" && token.kind !== "keyword")
          throw this.error("a property name after '.'");
        this.advance();
        const key = this.text.slice(token.start, token.end);
        expr = { kind: "property", object: expr, key, start: expr.start, end: token.end };
      } else if (this.acceptPunct("[")) {
        const token = this.peek();
        const next = this.peek(1);
        const closes = next.kind === "punctuation" && next.value === "]";
        if (closes && token.kind === "string") {
          this.index += 2;
          expr = { kind: "property", object: expr, key: token.value, start: expr.start, end: next.end };
        } else if (closes && token.kind === "number" && Number.isSafeInteger(token.number)) {
          this.index += 2;
          expr = { kind: "property", object: expr, key: token.number, start: expr.start, end: next.end };
        } else {
          const key = this.parseExpression();
          const close = this.expectPunct("]");
          expr = { kind: "index", object: expr, key, start: expr.start, end: close.end };
        }
      } else {
        return expr;
      }
    }
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    const { start, end } = token;
    switch (token.kind) {
      case "number":
        this.advance();
        return { kind: "literal", value: token.number, start, end };
      case "string":
        this.advance();
        return { kind: "literal", value: token.value, start, end };
      case "parameter":
        this.advance();
        return { kind: "parameter", name: token.value, start, end };
      case "keyword":
        if (!(token.value in KEYWORD_LITERALS)) break;
        this.advance();
        return { kind: "literal", value: KEYWORD_LITERALS[token.value], start, end };
      case "identifier":
        this.advance();
        if (this.isUserFunctionCall(token)) return this.parseUserFunctionCall(token);
        if (this.isPunct("(")) return this.parseCall(token);
        return { kind: "identifier", name: token.value, start, end };
      case "punctuation":
        if (this.acceptPunct("(")) {
          const inner = this.parseExpression();
          this.expectPunct(")");
          return { ...inner, start, end: this.lastEnd };
        }
        if (this.acceptPunct("{")) return this.parseObject(start);
        if (this.acceptPunct("[")) {
          const items: Expr[] = [];
          if (!this.isPunct("]")) {
            do items.push(this.parseExpression());
            while (this.acceptPunct(","));
          }
          this.expectPunct("]");
          return { kind: "array", items, start, end: this.lastEnd };
        }
        break;
      default:
        break;
    }
    throw this.error("an expression");
  }

  private parseObject(start: number): ObjectExpr {
    const properties: { name: string; value: Expr }[] = [];
    if (!this.isPunct("}")) {
      do {
        const token = this.peek();
        if (token.kind !== "string" && token.kind !== "identifier" && token.kind !== "keyword") {
          throw this.error("a property name");
        }
        this.advance();
        this.expectPunct(":");
        const name = token.kind === "string" ? token.value : this.text.slice(token.start, token.end);
        properties.push({ name, value: this.parseExpression() });
      } while (this.acceptPunct(","));
    }
    this.expectPunct("}");
    return { kind: "object", properties, start, end: this.lastEnd };
  }

  /** Calls to aggregate functions with one argument become aggregate nodes; the validator checks the rest. */
  private parseCall(nameToken: Token): Expr {
    const name = nameToken.value.toUpperCase();
    const args = this.parseArguments();
    const start = nameToken.start;
    const end = this.lastEnd;
    if (AGGREGATE_NAMES.has(name) && args.length === 1) {
      return { kind: "aggregate", name: name as AggregateName, arg: args[0], start, end };
    }
    return { kind: "call", name, args, start, end };
  }

  private parseArguments(): Expr[] {
    this.expectPunct("(");
    const args: Expr[] = [];
    if (!this.isPunct(")")) {
      do args.push(this.parseExpression());
      while (this.acceptPunct(","));
    }
    this.expectPunct(")");
    return args;
  }

  /** `udf.<name>(` after the identifier `udf` just read. */
  private isUserFunctionCall(token: Token): boolean {
    return (
      token.value.toLowerCase() === "udf" &&
      this.isPunct(".") &&
      this.peek(1).kind === "identifier" &&
      this.isPunct("(", 2)
    );
  }

  private parseUserFunctionCall(udfToken: Token): CallExpr {
    this.expectPunct(".");
    const name = this.advance().value;
    const args = this.parseArguments();
    return { kind: "call", name, args, udf: {}, start: udfToken.start, end: this.lastEnd };
  }

  /** `op` is an operator's text, which the caller has matched against the operators it parses. */
  private binary(op: string, left: Expr, right: Expr): BinaryExpr {
    return { kind: "binary", op: op as BinaryOperator, left, right, start: left.start, end: right.end };
  }
}

/** Parses and validates a query. Throws {@link QuerySyntaxError} for any problem with the text. */
export function parseQuery(text: string): ParsedQuery {
  const parser = new Parser(text);
  const query = parser.parseQuery();
  validate(query, text);
  return query;
}
