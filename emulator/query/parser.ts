/**
 * Tokenizer and recursive-descent parser for the subset of the Azure Cosmos DB for NoSQL query dialect that the
 * local emulator answers server-side. The output is a typed AST ({@link ParsedQuery}) that `evaluate.ts` compiles
 * to closures. Every problem with the query text (syntax, unresolved identifiers, misplaced aggregates, unknown
 * functions) is reported as a {@link QuerySyntaxError} carrying the Cosmos-style message and the character range.
 *
 * Grammar (keywords are case-insensitive, identifiers and property names are case-sensitive):
 *
 *   SELECT [DISTINCT] [TOP n] (* | VALUE expr | expr [[AS] alias], ...)
 *   FROM container [[AS] alias]
 *   [WHERE expr] [ORDER BY expr [ASC|DESC], ...] [OFFSET n LIMIT m]
 *
 * where n and m are non-negative integer literals or parameters.
 */

/** A JSON value as it can appear in a query literal. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type BinaryOperator =
  "=" | "!=" | "<" | "<=" | ">" | ">=" | "AND" | "OR" | "+" | "-" | "*" | "/" | "%" | "||" | "??";

export type AggregateName = "COUNT" | "SUM" | "MIN" | "MAX" | "AVG";

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

export interface ParsedQuery {
  distinct: boolean;
  top?: CountExpr;
  select: SelectClause;
  /** `FROM root` has container and alias `root`; `FROM Families f` has container `Families`, alias `f`. */
  from: { container: string; alias: string };
  where?: Expr;
  orderBy?: OrderByItem[];
  offset?: CountExpr;
  limit?: CountExpr;
  /** True when the select clause contains aggregate functions (the result is a single row). */
  aggregate: boolean;
}

/**
 * Any problem with a query's text. `message` is the Cosmos message plus what the parser expected and where;
 * {@link cosmosMessage}, {@link start}, {@link end} and {@link code} are what the Cosmos gateway reports
 * (see {@link toCosmosError}).
 */
export class QuerySyntaxError extends Error {
  override readonly name = "QuerySyntaxError";
  /** The message alone, as Cosmos words it, e.g. `Syntax error, incorrect syntax near 'FORM'.` */
  readonly cosmosMessage: string;
  /** Character range of the offending token or expression in the query text. */
  readonly start: number;
  readonly end: number;
  /** Cosmos error code: SC1001 for syntax errors, SC2xxx for semantic ones. */
  readonly code: string;
  /** What the parser expected at that point, when it knows. */
  readonly expected?: string;

  /**
   * @param expected what was expected instead (appended to the message as `Expected ... at position n.`)
   * @param detail free-form explanation appended to the message when there is no `expected`
   */
  constructor(
    cosmosMessage: string,
    start: number,
    end: number,
    code = "SC1001",
    expected?: string,
    detail?: string,
  ) {
    super(
      expected !== undefined
        ? `${cosmosMessage} Expected ${expected} at position ${start}.`
        : detail !== undefined
          ? `${cosmosMessage} ${detail} (at position ${start})`
          : `${cosmosMessage} (at position ${start})`,
    );
    this.cosmosMessage = cosmosMessage;
    this.start = start;
    this.end = end;
    this.code = code;
    this.expected = expected;
  }

  /** The entry Cosmos puts in the `errors` array of a 400 response for this query. */
  toCosmosError(): {
    severity: "Error";
    location: { start: number; end: number };
    code: string;
    message: string;
  } {
    return {
      severity: "Error",
      location: { start: this.start, end: this.end },
      code: this.code,
      message: this.cosmosMessage,
    };
  }
}

/** Built-in scalar functions the engine implements, with their [minimum, maximum] argument counts. */
export const BUILTIN_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  IS_DEFINED: [1, 1],
  IS_NULL: [1, 1],
  IS_BOOL: [1, 1],
  IS_NUMBER: [1, 1],
  IS_STRING: [1, 1],
  IS_ARRAY: [1, 1],
  IS_OBJECT: [1, 1],
  IS_PRIMITIVE: [1, 1],
  STARTSWITH: [2, 3],
  ENDSWITH: [2, 3],
  CONTAINS: [2, 3],
  STRINGEQUALS: [2, 3],
  INDEX_OF: [2, 3],
  LOWER: [1, 1],
  UPPER: [1, 1],
  LENGTH: [1, 1],
  TRIM: [1, 1],
  LTRIM: [1, 1],
  RTRIM: [1, 1],
  CONCAT: [2, Infinity],
  SUBSTRING: [3, 3],
  LEFT: [2, 2],
  RIGHT: [2, 2],
  REPLACE: [3, 3],
  REVERSE: [1, 1],
  TOSTRING: [1, 1],
  ARRAY_CONTAINS: [2, 3],
  ARRAY_LENGTH: [1, 1],
  ABS: [1, 1],
  CEILING: [1, 1],
  FLOOR: [1, 1],
  ROUND: [1, 1],
};

const AGGREGATES: ReadonlySet<string> = new Set<AggregateName>(["COUNT", "SUM", "MIN", "MAX", "AVG"]);

const KEYWORDS: ReadonlySet<string> = new Set([
  "SELECT",
  "DISTINCT",
  "TOP",
  "VALUE",
  "AS",
  "FROM",
  "WHERE",
  "ORDER",
  "BY",
  "ASC",
  "DESC",
  "OFFSET",
  "LIMIT",
  "AND",
  "OR",
  "NOT",
  "IN",
  "BETWEEN",
  "LIKE",
  "ESCAPE",
  "TRUE",
  "FALSE",
  "NULL",
  "UNDEFINED",
  "JOIN",
  "GROUP",
]);

// ---------------------------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = "identifier" | "keyword" | "number" | "string" | "parameter" | "punctuation" | "eof";

interface Token {
  kind: TokenKind;
  /** Keyword: upper-cased; identifier: as written; string: decoded; parameter: `@name`; punctuation: symbol. */
  value: string;
  /** Numeric value of a number token. */
  number: number;
  start: number;
  end: number;
}

const PUNCTUATION = ["||", "??", "!=", "<>", "<=", ">=", ".", ",", "(", ")", "[", "]", "{", "}", ":", "*"]
  .concat(["+", "-", "/", "%", "=", "<", ">", "?"])
  .sort((a, b) => b.length - a.length);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "'": "'",
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function isIdentifierStart(ch: string): boolean {
  return (ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "_";
}

function isIdentifierPart(ch: string): boolean {
  return isIdentifierStart(ch) || (ch >= "0" && ch <= "9");
}

function isDigit(ch: string): boolean {
  return ch >= "0" && ch <= "9";
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, value: string, start: number, end: number, number = NaN) =>
    tokens.push({ kind, value, number, start, end });
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "-" && text[i + 1] === "-") {
      // Line comment.
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (isIdentifierStart(ch)) {
      while (i < text.length && isIdentifierPart(text[i])) i++;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) push("keyword", upper, start, i);
      else push("identifier", word, start, i);
      continue;
    }
    if (ch === "@") {
      i++;
      while (i < text.length && isIdentifierPart(text[i])) i++;
      if (i === start + 1) throw new QuerySyntaxError(`Syntax error, invalid token '@'.`, start, i);
      push("parameter", text.slice(start, i), start, i);
      continue;
    }
    if (isDigit(ch)) {
      while (isDigit(text[i] ?? "")) i++;
      if (text[i] === "." && isDigit(text[i + 1] ?? "")) {
        i++;
        while (isDigit(text[i] ?? "")) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        let j = i + 1;
        if (text[j] === "+" || text[j] === "-") j++;
        if (isDigit(text[j] ?? "")) {
          i = j;
          while (isDigit(text[i] ?? "")) i++;
        }
      }
      if (i < text.length && isIdentifierPart(text[i])) {
        while (i < text.length && isIdentifierPart(text[i])) i++;
        throw new QuerySyntaxError(`Syntax error, invalid token '${text.slice(start, i)}'.`, start, i);
      }
      const raw = text.slice(start, i);
      push("number", raw, start, i, Number(raw));
      continue;
    }
    if (ch === "'" || ch === '"') {
      i++;
      let value = "";
      for (;;) {
        if (i >= text.length) {
          throw new QuerySyntaxError(
            "Syntax error, unclosed quotation mark.",
            start,
            i,
            "SC1001",
            `closing ${ch}`,
          );
        }
        const c = text[i];
        if (c === ch) {
          i++;
          break;
        }
        if (c !== "\\") {
          value += c;
          i++;
          continue;
        }
        const esc = text[i + 1];
        if (esc !== undefined && esc in SIMPLE_ESCAPES) {
          value += SIMPLE_ESCAPES[esc];
          i += 2;
        } else if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          const bad = text.slice(i, i + 2);
          throw new QuerySyntaxError(
            `Syntax error, invalid escape sequence '${bad}'.`,
            i,
            i + bad.length,
            "SC1001",
            `one of \\' \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX`,
          );
        }
      }
      push("string", value, start, i);
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (punct === undefined) throw new QuerySyntaxError(`Syntax error, invalid token '${ch}'.`, i, i + 1);
    i += punct.length;
    push("punctuation", punct === "<>" ? "!=" : punct, start, i);
  }
  push("eof", "", text.length, text.length);
  return tokens;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

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
    const container = this.expectIdentifier("a container name or alias after FROM");
    let alias = container;
    if (this.acceptKeyword("AS")) alias = this.expectIdentifier("an alias after AS");
    else if (this.peek().kind === "identifier") alias = this.advance();
    if (this.isKeyword("JOIN"))
      throw this.unsupported("JOIN is not supported by the emulator's query engine.");
    if (this.isKeyword("IN")) {
      throw this.unsupported("FROM <alias> IN <array> is not supported by the emulator's query engine.");
    }

    const where = this.acceptKeyword("WHERE") ? this.parseExpression() : undefined;
    if (this.isKeyword("GROUP"))
      throw this.unsupported("GROUP BY is not supported by the emulator's query engine.");

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
          : where
            ? ["ORDER BY", "OFFSET"]
            : ["WHERE", "ORDER BY", "OFFSET"];
      throw this.error([...rest, "end of query"].join(", "));
    }
    return {
      distinct,
      top,
      select,
      from: { container: container.value, alias: alias.value },
      where,
      orderBy,
      offset,
      limit,
      aggregate: false,
    };
  }

  private unsupported(detail: string): QuerySyntaxError {
    const token = this.peek();
    const near = this.text.slice(token.start, token.end);
    return new QuerySyntaxError(
      `Syntax error, incorrect syntax near '${near}'.`,
      token.start,
      token.end,
      "SC1001",
      undefined,
      detail,
    );
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

  private parseCall(nameToken: Token): Expr {
    const name = nameToken.value.toUpperCase();
    this.expectPunct("(");
    const args: Expr[] = [];
    if (!this.isPunct(")")) {
      do args.push(this.parseExpression());
      while (this.acceptPunct(","));
    }
    this.expectPunct(")");
    const start = nameToken.start;
    const end = this.lastEnd;
    if (AGGREGATES.has(name)) {
      if (args.length !== 1) throw arityError(name, [1, 1], start, end);
      return { kind: "aggregate", name: name as AggregateName, arg: args[0], start, end };
    }
    const arity = BUILTIN_FUNCTIONS[name];
    if (arity === undefined) {
      throw new QuerySyntaxError(
        `'${nameToken.value}' is not a recognized built-in function name.`,
        start,
        end,
        "SC2005",
      );
    }
    if (args.length < arity[0] || args.length > arity[1]) throw arityError(name, arity, start, end);
    return { kind: "call", name, args, start, end };
  }

  /** `op` is an operator's text, which the caller has matched against the operators it parses. */
  private binary(op: string, left: Expr, right: Expr): BinaryExpr {
    return { kind: "binary", op: op as BinaryOperator, left, right, start: left.start, end: right.end };
  }
}

function arityError(name: string, [min, max]: readonly [number, number], start: number, end: number) {
  const count = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
  return new QuerySyntaxError(`The ${name} function requires ${count} argument(s).`, start, end, "SC2050");
}

// ---------------------------------------------------------------------------------------------------------------
// Semantic checks

function children(expr: Expr): Expr[] {
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

/**
 * True when the query's answer depends on the items' content (a WHERE, an ORDER BY, or any reference to the
 * FROM alias); false when it depends only on how many items there are, as `SELECT VALUE COUNT(1) FROM c`.
 */
export function readsDocuments(query: ParsedQuery): boolean {
  if (query.where || query.orderBy || query.select.kind === "star") return true;
  const reads = (expr: Expr): boolean => expr.kind === "identifier" || children(expr).some(reads);
  return selectedExpressions(query).some(reads);
}

function selectedExpressions(query: ParsedQuery): Expr[] {
  if (query.select.kind === "star") return [];
  return query.select.kind === "value" ? [query.select.expr] : query.select.items.map((i) => i.expr);
}

function validate(query: ParsedQuery, text: string): void {
  const alias = query.from.alias;
  const check = (expr: Expr, inSelect: boolean, inAggregate: boolean): void => {
    if (expr.kind === "identifier" && expr.name !== alias) {
      throw new QuerySyntaxError(
        `Identifier '${expr.name}' could not be resolved.`,
        expr.start,
        expr.end,
        "SC2001",
      );
    }
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
    for (const child of children(expr)) check(child, inSelect, inAggregate);
  };

  const selected = selectedExpressions(query);
  for (const expr of selected) check(expr, true, false);
  if (query.where) check(query.where, false, false);
  for (const item of query.orderBy ?? []) check(item.expr, false, false);

  if (query.aggregate) {
    // Without GROUP BY, every reference to the document in the select list must sit inside an aggregate.
    const rowReference = (expr: Expr): Expr | undefined => {
      if (expr.kind === "aggregate") return undefined;
      if (expr.kind === "identifier") return expr;
      if (expr.kind === "property" || expr.kind === "index") {
        let root: Expr = expr;
        while (root.kind === "property" || root.kind === "index") root = root.object;
        if (root.kind === "identifier") return expr;
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
        throw new QuerySyntaxError(
          `Property reference '${text.slice(found.start, found.end)}' is invalid in the select list because it is ` +
            "not contained in an aggregate function.",
          found.start,
          found.end,
          "SC2102",
        );
      }
    }
  }
}

/** Parses and validates a query. Throws {@link QuerySyntaxError} for any problem with the text. */
export function parseQuery(text: string): ParsedQuery {
  const parser = new Parser(text);
  const query = parser.parseQuery();
  validate(query, text);
  return query;
}
