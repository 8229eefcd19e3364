/**
 * Splits query text into tokens: keywords (upper-cased), identifiers, numbers, decoded strings, `@parameters` and
 * punctuation. Malformed tokens (unclosed strings, bad escapes, `12abc`) are reported as {@link QuerySyntaxError}.
 */
import { QuerySyntaxError } from "./query-error";

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

export type TokenKind = "identifier" | "keyword" | "number" | "string" | "parameter" | "punctuation" | "eof";

export interface Token {
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

export function tokenize(text: string): Token[] {
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
