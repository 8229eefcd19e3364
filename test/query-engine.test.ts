import assert from "node:assert/strict";
import { executeQuery, parametersFromSpec, parseQuery, QuerySyntaxError } from "../emulator/query/evaluate";
import { BUILTIN_FUNCTIONS } from "../emulator/query/functions";

type Doc = Record<string, unknown>;

function run(text: string, docs: Doc[], parameters: Record<string, unknown> = {}): unknown[] {
  return executeQuery(parseQuery(text), docs, parameters);
}

/** Evaluates a scalar expression against one document; returns undefined when the engine yields undefined. */
function scalar(expr: string, doc: Doc = {}, parameters: Record<string, unknown> = {}): unknown {
  const rows = run(`SELECT VALUE {"v": ${expr}} FROM c`, [doc], parameters) as { v?: unknown }[];
  return rows[0].v;
}

function syntaxError(text: string): QuerySyntaxError {
  try {
    parseQuery(text);
  } catch (error) {
    assert.ok(error instanceof QuerySyntaxError, `expected QuerySyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

const people: Doc[] = [
  {
    id: "1",
    name: "Ann",
    age: 31,
    city: "Oslo",
    tags: ["a", "b"],
    address: { zip: "0150", "street name": "Main" },
  },
  { id: "2", name: "bob", age: 25, city: "Bergen", tags: ["b"], address: { zip: "5003" } },
  { id: "3", name: "Cid", age: 40, city: "Oslo", tags: [] },
  { id: "4", name: "Dee", age: "unknown", city: null },
  { id: "5", name: "Eve", age: 25 },
];

const ids = (rows: unknown[]) => rows.map((r) => (r as Doc).id);

describe("query engine", () => {
  describe("parser", () => {
    it("parses every clause into the AST", () => {
      const q = parseQuery(
        "select distinct top 5 c.name, c.age as years, c.a + 1 from root c " +
          "where c.age > 20 order by c.age desc, c.name offset 1 limit 2",
      );
      assert.equal(q.distinct, true);
      assert.deepEqual(q.top, { kind: "literal", value: 5, start: 20, end: 21 });
      assert.deepEqual(q.from, { container: "root", alias: "c" });
      assert.equal(q.select.kind, "list");
      if (q.select.kind !== "list") return;
      assert.deepEqual(
        q.select.items.map((i) => i.name),
        ["name", "years", "$1"],
      );
      assert.equal(q.where?.kind, "binary");
      assert.deepEqual(
        q.orderBy?.map((o) => o.descending),
        [true, false],
      );
      assert.equal(q.offset?.kind, "literal");
      assert.equal(q.limit?.kind, "literal");
      assert.equal(q.aggregate, false);
    });

    it("accepts keywords in any case, comments, AS-less aliases and keyword property names", () => {
      const q = parseQuery("SeLeCt VALUE c.value -- the value\nFrOm Families AS c wHeRe c.order = 1");
      assert.deepEqual(q.from, { container: "Families", alias: "c" });
      assert.equal(q.select.kind, "value");
      const implicit = parseQuery("SELECT c.a alpha FROM c");
      assert.equal(implicit.select.kind === "list" && implicit.select.items[0].name, "alpha");
    });

    it("names unaliased columns after the last property, else $1, $2", () => {
      const q = parseQuery('SELECT c.a.b, c["x y"], c.arr[0], c, 1 + 2 FROM c');
      assert.ok(q.select.kind === "list");
      assert.deepEqual(
        q.select.items.map((i) => i.name),
        ["b", "x y", "$1", "c", "$2"],
      );
    });

    it("folds signed numeric literals and parses parameters", () => {
      const q = parseQuery("SELECT VALUE -1.5e2 FROM c WHERE c.id = @id");
      assert.ok(q.select.kind === "value");
      assert.deepEqual(q.select.expr, { kind: "literal", value: -150, start: 13, end: 19 });
      assert.ok(q.where?.kind === "binary");
      assert.deepEqual(q.where.right, { kind: "parameter", name: "@id", start: 40, end: 43 });
    });

    it("marks aggregate queries", () => {
      assert.equal(parseQuery("SELECT VALUE COUNT(1) FROM c").aggregate, true);
      assert.equal(parseQuery("SELECT COUNT(c.a) AS n, max(c.b) FROM c").aggregate, true);
    });

    it("accepts and runs every function of the built-in table at its arity bounds", () => {
      for (const [name, { arity }] of Object.entries(BUILTIN_FUNCTIONS)) {
        for (const count of new Set([arity[0], Math.min(arity[1], arity[0] + 2)])) {
          const args = Array.from({ length: count }, () => "c.missing").join(", ");
          assert.doesNotThrow(() => run(`SELECT VALUE ${name}(${args}) FROM c`, [{}]), name);
        }
      }
    });
  });

  describe("syntax errors", () => {
    it("reports the token near which the syntax is wrong, what was expected and where", () => {
      const error = syntaxError("SELECT * FORM c");
      assert.equal(error.message, "Syntax error, incorrect syntax near 'FORM'. Expected FROM at position 9.");
      assert.equal(error.cosmosMessage, "Syntax error, incorrect syntax near 'FORM'.");
      assert.equal(error.name, "QuerySyntaxError");
      assert.ok(error instanceof Error);
      assert.deepEqual(error.toCosmosError(), {
        severity: "Error",
        location: { start: 9, end: 13 },
        code: "SC1001",
        message: "Syntax error, incorrect syntax near 'FORM'.",
      });
    });

    it("reports an unexpected end of the query", () => {
      const error = syntaxError("SELECT * FROM c WHERE");
      assert.equal(
        error.message,
        "Syntax error, unexpected end-of-file. Expected an expression at position 21.",
      );
      assert.match(syntaxError("SELECT c.a FROM c WHERE c.a IN (1, 2").message, /end-of-file. Expected '\)'/);
      assert.match(syntaxError("SELECT").message, /end-of-file. Expected an expression/);
    });

    it("rejects malformed clauses", () => {
      const cases: [string, RegExp][] = [
        ["SELECT FROM c", /near 'FROM'. Expected \*, VALUE or an expression at position 7/],
        [
          "SELECT * FROM c WHER c.a = 1",
          /near 'c'. Expected JOIN, WHERE, GROUP BY, ORDER BY, OFFSET, end of query at position 21/,
        ],
        ["SELECT * FROM c WHERE c.a = 1 ORDER c.a", /near 'c'. Expected BY at position 36/],
        ["SELECT * FROM c OFFSET 1", /end-of-file. Expected LIMIT/],
        ["SELECT TOP -1 * FROM c", /near '-'. Expected a non-negative integer or parameter after TOP/],
        ["SELECT TOP 1.5 * FROM c", /near '1.5'/],
        ["SELECT * FROM c WHERE c.a = = 1", /near '='. Expected an expression at position 28/],
        ["SELECT * FROM c WHERE (c.a = 1", /end-of-file. Expected '\)'/],
        ["SELECT * FROM c WHERE c.a BETWEEN 1 OR 2", /near 'OR'. Expected AND/],
        ["SELECT * FROM c WHERE c. = 1", /near '='. Expected a property name after '.'/],
        ["SELECT * FROM c WHERE c.a # 1", /invalid token '#'/],
        ["SELECT * FROM c WHERE c.a = 12abc", /invalid token '12abc'/],
        ["SELECT * FROM c WHERE c.a = 'abc", /unclosed quotation mark. Expected closing ' at position 28/],
        ["SELECT * FROM c WHERE c.a = 'a\\qb'", /invalid escape sequence '\\q'/],
        ["SELECT t FROM c JOIN t c.tags", /near 'c'. Expected IN/],
        ["SELECT t FROM c JOIN IN c.tags", /near 'IN'. Expected an alias after JOIN/],
        ["SELECT * FROM t IN", /end-of-file. Expected a container name after IN/],
        ["SELECT COUNT(1) FROM c GROUP c.a", /near 'c'. Expected BY/],
      ];
      for (const [text, pattern] of cases) assert.match(syntaxError(text).message, pattern, text);
    });

    it("rejects unknown functions and wrong argument counts", () => {
      const unknown = syntaxError("SELECT * FROM c WHERE FOO(c.a)");
      assert.equal(unknown.cosmosMessage, "'FOO' is not a recognized built-in function name.");
      assert.equal(unknown.code, "SC2005");
      assert.match(
        syntaxError("SELECT * FROM c WHERE STARTSWITH(c.a)").message,
        /STARTSWITH function requires 2 to 3/,
      );
      assert.match(
        syntaxError("SELECT VALUE COUNT(1, 2) FROM c").message,
        /COUNT function requires 1 argument/,
      );
    });

    it("rejects identifiers other than the FROM alias", () => {
      const error = syntaxError("SELECT * FROM root r WHERE root.id = '1'");
      assert.equal(error.cosmosMessage, "Identifier 'root' could not be resolved.");
      assert.equal(error.code, "SC2001");
      assert.equal(error.start, 27);
    });

    it("rejects misplaced aggregates", () => {
      assert.match(
        syntaxError("SELECT * FROM c WHERE COUNT(1) > 1").message,
        /only allowed in the SELECT clause/,
      );
      assert.match(
        syntaxError("SELECT * FROM c ORDER BY MAX(c.a)").message,
        /only allowed in the SELECT clause/,
      );
      assert.match(syntaxError("SELECT VALUE SUM(COUNT(1)) FROM c").message, /containing an aggregate/);
      assert.match(
        syntaxError("SELECT c.a.b, COUNT(1) FROM c").message,
        /Property reference 'c.a.b' is invalid in the select list/,
      );
    });
  });

  describe("literals and property paths", () => {
    it("evaluates string, number and keyword literals", () => {
      assert.equal(scalar(`'it\\'s'`), "it's");
      assert.equal(scalar(`"say \\"hi\\""`), 'say "hi"');
      assert.equal(scalar(`'a\\\\b\\/c\\n\\t\\u00e9'`), "a\\b/c\n\té");
      assert.equal(scalar(`"it's"`), "it's");
      assert.equal(scalar("42"), 42);
      assert.equal(scalar("-0.5"), -0.5);
      assert.equal(scalar("1e3"), 1000);
      assert.equal(scalar("TRUE"), true);
      assert.equal(scalar("false"), false);
      assert.equal(scalar("null"), null);
      assert.equal(scalar("undefined"), undefined);
    });

    it("reads nested properties, bracketed names and array elements", () => {
      const doc = { a: { b: { c: 1 } }, "x y": 2, arr: [10, [20, 30]], n: null };
      assert.equal(scalar("c.a.b.c", doc), 1);
      assert.equal(scalar(`c["x y"]`, doc), 2);
      assert.equal(scalar(`c['a']["b"].c`, doc), 1);
      assert.equal(scalar("c.arr[0]", doc), 10);
      assert.equal(scalar("c.arr[1][1]", doc), 30);
      assert.deepEqual(scalar("c.arr[@i]", doc, { "@i": 1 }), [20, 30]);
      assert.equal(scalar("c[@k].b.c", doc, { "@k": "a" }), 1);
    });

    it("yields undefined for missing paths, out-of-range indexes and inherited properties", () => {
      const doc = { a: { b: 1 }, arr: [1], n: null, s: "str" };
      for (const path of [
        "c.missing",
        "c.missing.deeper",
        "c.a.b.c",
        "c.n.x",
        "c.s.length",
        "c.arr[1]",
        "c.arr[-1]",
        "c.arr[0.5]",
        'c.arr["length"]',
        "c.constructor",
        "c.toString",
        "c.a.hasOwnProperty",
        'c["__proto__"]',
        "c.a[0]",
      ]) {
        assert.equal(scalar(path, doc), undefined, path);
      }
    });

    it("builds objects and arrays, omitting undefined members", () => {
      assert.deepEqual(
        run('SELECT VALUE {"id": c.id, nested: {"n": c.missing}, list: [c.id, c.missing, 1]} FROM c', [
          { id: "x" },
        ]),
        [{ id: "x", nested: {}, list: ["x", 1] }],
      );
    });
  });

  describe("operators and undefined semantics", () => {
    it("compares values of the same type", () => {
      const doc = { n: 5, s: "b" };
      assert.equal(scalar("c.n = 5", doc), true);
      assert.equal(scalar("c.n != 5", doc), false);
      assert.equal(scalar("c.n <> 4", doc), true);
      assert.equal(scalar("c.n < 6", doc), true);
      assert.equal(scalar("c.n <= 5", doc), true);
      assert.equal(scalar("c.n > 5", doc), false);
      assert.equal(scalar("c.n >= 5", doc), true);
      assert.equal(scalar("c.s < 'c'", doc), true);
      assert.equal(scalar("c.s > 'B'", doc), true);
      assert.equal(scalar("false < true"), true);
      assert.equal(scalar("null = null"), true);
      assert.equal(scalar("null <= null"), true);
      assert.equal(scalar("[1, {'a': 2}] = [1, {'a': 2}]"), true);
      assert.equal(scalar("{'a': 1, 'b': 2} = {'b': 2, 'a': 1}"), true);
      assert.equal(scalar("[1, 2] = [2, 1]"), false);
    });

    it("makes comparisons with undefined or across types undefined", () => {
      const doc = { n: 5 };
      for (const expr of [
        "c.missing = 1",
        "c.missing != 1",
        "c.missing = c.alsoMissing",
        "c.n = '5'",
        "c.n != '5'",
        "c.n < '6'",
        "null = false",
        "null < 1",
        "[1] < [2]",
        "{'a': 1} != {'a': 2}",
        "c.n = undefined",
      ]) {
        assert.equal(scalar(expr, doc), undefined, expr);
      }
    });

    it("uses three-valued logic for AND, OR and NOT", () => {
      const t = "true";
      const f = "false";
      const u = "c.missing";
      const cases: [string, boolean | undefined][] = [
        [`${t} AND ${t}`, true],
        [`${t} AND ${f}`, false],
        [`${f} AND ${u}`, false],
        [`${u} AND ${f}`, false],
        [`${t} AND ${u}`, undefined],
        [`${u} AND ${u}`, undefined],
        [`${t} OR ${u}`, true],
        [`${u} OR ${t}`, true],
        [`${f} OR ${f}`, false],
        [`${f} OR ${u}`, undefined],
        [`NOT ${t}`, false],
        [`NOT ${f}`, true],
        [`NOT ${u}`, undefined],
        ["NOT 1", undefined],
        ["1 AND true", undefined],
        ["'x' OR false", undefined],
      ];
      for (const [expr, expected] of cases) assert.equal(scalar(expr), expected, expr);
    });

    it("keeps only documents whose filter is exactly true", () => {
      const docs = [{ id: "a", flag: true }, { id: "b", flag: 1 }, { id: "c", flag: "true" }, { id: "d" }];
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.flag", docs)), ["a"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE NOT c.flag", docs)), []);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.flag != true", docs)), []);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE NOT (c.age > 30)", people)), ["2", "5"]);
    });

    it("evaluates arithmetic, string concatenation and precedence", () => {
      const doc = { a: 7, b: 2, s: "x" };
      assert.equal(scalar("c.a + c.b * 3", doc), 13);
      assert.equal(scalar("(c.a + c.b) * 3", doc), 27);
      assert.equal(scalar("c.a - c.b - 1", doc), 4);
      assert.equal(scalar("c.a / c.b", doc), 3.5);
      assert.equal(scalar("c.a % c.b", doc), 1);
      assert.equal(scalar("-c.a", doc), -7);
      assert.equal(scalar("c.a / 0", doc), undefined);
      assert.equal(scalar("c.a + c.s", doc), undefined);
      assert.equal(scalar("c.a + c.missing", doc), undefined);
      assert.equal(scalar("-c.s", doc), undefined);
      assert.equal(scalar("c.s || 'y' || 'z'", doc), "xyz");
      assert.equal(scalar("c.s || 1", doc), undefined);
      assert.equal(scalar("1 + 1 = 2 AND 2 * 2 > 3 OR false", doc), true);
    });

    it("evaluates IN and NOT IN", () => {
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.city IN ('Oslo', 'Paris')", people)), ["1", "3"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.city NOT IN ('Oslo', 'Paris')", people)), ["2", "4"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.age IN (25, '25')", people)), ["2", "5"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.id IN (@a, @b)", people, { "@a": "3", "@b": "5" })), [
        "3",
        "5",
      ]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.tags IN (['b'], [])", people)), ["2", "3"]);
      assert.equal(scalar("c.missing IN (1)"), undefined);
      assert.equal(scalar("c.missing NOT IN (1)"), undefined);
    });

    it("evaluates BETWEEN and NOT BETWEEN", () => {
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.age BETWEEN 25 AND 31", people)), ["1", "2", "5"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.age NOT BETWEEN 25 AND 31", people)), ["3"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.name BETWEEN 'A' AND 'D' AND c.age > 30", people)), [
        "1",
        "3",
      ]);
      assert.equal(scalar("'x' BETWEEN 1 AND 2"), undefined);
    });

    it("evaluates LIKE", () => {
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.name LIKE '_e%'", people)), ["4"]);
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.name NOT LIKE '%e%'", people)), ["1", "2", "3"]);
      assert.equal(scalar("'100%' LIKE '100!%' ESCAPE '!'"), true);
      assert.equal(scalar("'1000' LIKE '100!%' ESCAPE '!'"), false);
      assert.equal(scalar("'a.c' LIKE 'a.c'"), true);
      assert.equal(scalar("'abc' LIKE 'a.c'"), false);
      assert.equal(scalar("c.name LIKE @p", { name: "xyz" }, { "@p": "x%" }), true);
      assert.equal(scalar("1 LIKE '1'"), undefined);
    });

    it("evaluates the conditional and coalesce operators", () => {
      assert.equal(scalar("c.a > 1 ? 'big' : 'small'", { a: 2 }), "big");
      assert.equal(scalar("c.a > 1 ? 'big' : 'small'", {}), "small");
      assert.equal(scalar("c.a ?? c.b ?? 'none'", { b: 0 }), 0);
      assert.equal(scalar("c.a ?? 'none'", { a: null }), null);
    });
  });

  describe("built-in functions", () => {
    it("evaluates type checks", () => {
      const doc = { n: null, a: [1], o: {}, s: "", b: false, x: 0 };
      assert.equal(scalar("IS_DEFINED(c.n)", doc), true);
      assert.equal(scalar("IS_DEFINED(c.missing)", doc), false);
      assert.equal(scalar("IS_NULL(c.n)", doc), true);
      assert.equal(scalar("IS_NULL(c.missing)", doc), false);
      assert.equal(
        scalar(
          "IS_ARRAY(c.a) AND IS_OBJECT(c.o) AND IS_STRING(c.s) AND IS_BOOL(c.b) AND IS_NUMBER(c.x)",
          doc,
        ),
        true,
      );
      assert.equal(scalar("IS_OBJECT(c.a) OR IS_PRIMITIVE(c.o) OR IS_PRIMITIVE(c.missing)", doc), false);
      assert.equal(scalar("is_primitive(c.n)", doc), true);
    });

    it("evaluates string functions", () => {
      const doc = { s: "Hello World" };
      const cases: [string, unknown][] = [
        ["STARTSWITH(c.s, 'Hell')", true],
        ["STARTSWITH(c.s, 'hell')", false],
        ["STARTSWITH(c.s, 'hell', true)", true],
        ["ENDSWITH(c.s, 'World')", true],
        ["ENDSWITH(c.s, 'world', false)", false],
        ["CONTAINS(c.s, 'o W')", true],
        ["CONTAINS(c.s, 'O w', true)", true],
        ["CONTAINS(c.s, 'xyz')", false],
        ["CONTAINS(c.missing, 'x')", undefined],
        ["STARTSWITH(c.s, 1)", undefined],
        ["STRINGEQUALS(c.s, 'hello world', true)", true],
        ["LOWER(c.s)", "hello world"],
        ["UPPER(c.s)", "HELLO WORLD"],
        ["LENGTH(c.s)", 11],
        ["LENGTH(1)", undefined],
        ["LOWER(c.missing)", undefined],
        ["INDEX_OF(c.s, 'o')", 4],
        ["INDEX_OF(c.s, 'o', 5)", 7],
        ["SUBSTRING(c.s, 6, 3)", "Wor"],
        ["LEFT(c.s, 5)", "Hello"],
        ["RIGHT(c.s, 5)", "World"],
        ["CONCAT(c.s, '!', '?')", "Hello World!?"],
        ["CONCAT(c.s, 1)", undefined],
        ["TRIM('  x  ') || LTRIM(' y') || RTRIM('z ')", "xyz"],
        ["REPLACE(c.s, 'o', '0')", "Hell0 W0rld"],
        ["REVERSE('abc')", "cba"],
        ["TOSTRING(12.5)", "12.5"],
        ["TOSTRING([1, 'a'])", '[1,"a"]'],
      ];
      for (const [expr, expected] of cases) assert.deepEqual(scalar(expr, doc), expected, expr);
    });

    it("evaluates array and math functions", () => {
      const doc = { tags: ["a", "b"], items: [{ id: 1, n: "x" }, { id: 2 }] };
      const cases: [string, unknown][] = [
        ["ARRAY_CONTAINS(c.tags, 'b')", true],
        ["ARRAY_CONTAINS(c.tags, 'z')", false],
        ["ARRAY_CONTAINS(c.items, {'id': 1})", false],
        ["ARRAY_CONTAINS(c.items, {'id': 1}, true)", true],
        ["ARRAY_CONTAINS(c.items, {'id': 2})", true],
        ["ARRAY_CONTAINS(c.missing, 'a')", undefined],
        ["ARRAY_CONTAINS(c.tags, @t)", true],
        ["ARRAY_LENGTH(c.tags)", 2],
        ["ARRAY_LENGTH('ab')", undefined],
        ["ABS(-3)", 3],
        ["CEILING(1.2)", 2],
        ["FLOOR(-1.2)", -2],
        ["ROUND(2.5)", 3],
        ["ROUND(-2.5)", -3],
        ["ABS('x')", undefined],
      ];
      for (const [expr, expected] of cases)
        assert.deepEqual(scalar(expr, doc, { "@t": "a" }), expected, expr);
    });
  });

  describe("projection", () => {
    it("returns documents as stored for SELECT *", () => {
      const docs = [{ id: "1", _ts: 5, nested: { a: [1] } }];
      const rows = run("SELECT * FROM c", docs);
      assert.equal(rows.length, 1);
      assert.equal(rows[0], docs[0]);
    });

    it("builds objects from the select list, omitting undefined values", () => {
      assert.deepEqual(
        run("SELECT c.id, c.address.zip, c.age AS years FROM c WHERE c.id IN ('1', '3')", people),
        [
          { id: "1", zip: "0150", years: 31 },
          { id: "3", years: 40 },
        ],
      );
      assert.deepEqual(
        run('SELECT c.address["street name"], c.age * 2, UPPER(c.name) FROM c WHERE c.id = "1"', people),
        [{ "street name": "Main", $1: 62, $2: "ANN" }],
      );
      assert.deepEqual(run("SELECT c.missing FROM c", [{ id: "x" }]), [{}]);
      assert.deepEqual(run("SELECT c FROM c", [{ id: "x" }]), [{ c: { id: "x" } }]);
      assert.deepEqual(
        run("SELECT c.a AS __proto__ FROM c", [{ a: 1 }]).map((r) => Object.keys(r as object)),
        [["__proto__"]],
      );
    });

    it("returns bare values for SELECT VALUE and drops undefined ones", () => {
      assert.deepEqual(run("SELECT VALUE c.name FROM c", people), ["Ann", "bob", "Cid", "Dee", "Eve"]);
      assert.deepEqual(run("SELECT VALUE c.address.zip FROM c", people), ["0150", "5003"]);
      assert.deepEqual(run("SELECT VALUE c.city FROM c", people), ["Oslo", "Bergen", "Oslo", null]);
      assert.deepEqual(run("SELECT VALUE 1 FROM c", people.slice(0, 2)), [1, 1]);
    });
  });

  describe("aggregates", () => {
    it("returns [n] for SELECT VALUE COUNT(1)", () => {
      assert.deepEqual(run("SELECT VALUE COUNT(1) FROM c", people), [5]);
      assert.deepEqual(run("SELECT VALUE COUNT(1) FROM c WHERE c.city = 'Oslo'", people), [2]);
      assert.deepEqual(run("SELECT VALUE COUNT(1) FROM c", []), [0]);
    });

    it('returns [{"$1": n}] without VALUE and honours aliases', () => {
      assert.deepEqual(run("SELECT COUNT(1) FROM c", people), [{ $1: 5 }]);
      assert.deepEqual(run("SELECT COUNT(1) AS n, MAX(c.age) AS oldest, MIN(c.name) FROM c", people), [
        { n: 5, oldest: "unknown", $1: "Ann" },
      ]);
    });

    it("counts only defined values", () => {
      assert.deepEqual(run("SELECT VALUE COUNT(c.city) FROM c", people), [4]);
      assert.deepEqual(run("SELECT VALUE COUNT(c.address) FROM c", people), [2]);
    });

    it("computes SUM, AVG, MIN and MAX with Cosmos semantics", () => {
      const nums = [{ v: 1 }, { v: 2 }, { v: 6 }, { other: true }];
      assert.deepEqual(run("SELECT VALUE SUM(c.v) FROM c", nums), [9]);
      assert.deepEqual(run("SELECT VALUE AVG(c.v) FROM c", nums), [3]);
      assert.deepEqual(run("SELECT VALUE MIN(c.v) FROM c", nums), [1]);
      assert.deepEqual(run("SELECT VALUE MAX(c.v) FROM c", nums), [6]);
      assert.deepEqual(run("SELECT VALUE SUM(c.v) FROM c", []), [0]);
      // Undefined results vanish from VALUE queries and leave an empty object otherwise.
      assert.deepEqual(run("SELECT VALUE AVG(c.v) FROM c", []), []);
      assert.deepEqual(run("SELECT VALUE MAX(c.v) FROM c", []), []);
      assert.deepEqual(run("SELECT AVG(c.v) AS a FROM c", []), [{}]);
      // A non-number makes SUM/AVG undefined; MIN/MAX order across types.
      assert.deepEqual(run("SELECT VALUE SUM(c.age) FROM c", people), []);
      assert.deepEqual(run("SELECT VALUE MIN(c.age) FROM c", people), [25]);
      assert.deepEqual(run("SELECT VALUE MAX(c.city) FROM c", people), ["Oslo"]);
      assert.deepEqual(run("SELECT VALUE MIN(c.city) FROM c", people), [null]);
      assert.deepEqual(run("SELECT VALUE MAX(c.tags) FROM c", people), []);
    });

    it("allows expressions around aggregates", () => {
      assert.deepEqual(run("SELECT VALUE COUNT(1) * 10 + @n FROM c", people, { "@n": 1 }), [51]);
      assert.deepEqual(
        run("SELECT VALUE {'n': COUNT(1), 'avg': AVG(c.age * 2)} FROM c WHERE IS_NUMBER(c.age)", people),
        [{ n: 4, avg: 60.5 }],
      );
    });
  });

  describe("ORDER BY", () => {
    it("sorts ascending and descending", () => {
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.name", people)), ["1", "3", "4", "5", "2"]);
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.name ASC", people)), ["1", "3", "4", "5", "2"]);
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.name DESC", people)), ["2", "5", "4", "3", "1"]);
    });

    it("orders mixed types by type rank, then value, and drops undefined for a single field", () => {
      const docs = [
        { id: "str", v: "a" },
        { id: "num2", v: 2 },
        { id: "true", v: true },
        { id: "null", v: null },
        { id: "missing" },
        { id: "num1", v: 1 },
        { id: "false", v: false },
        { id: "arr", v: [1] },
        { id: "obj", v: { a: 1 } },
      ];
      const expected = ["null", "false", "true", "num1", "num2", "str", "arr", "obj"];
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.v", docs)), expected);
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.v DESC", docs)), [...expected].reverse());
    });

    it("sorts by several fields with mixed directions, keeping ties stable", () => {
      // Strings order ordinally, so "Eve" sorts before "bob".
      assert.deepEqual(
        ids(run("SELECT * FROM c WHERE IS_NUMBER(c.age) ORDER BY c.age DESC, c.name", people)),
        ["3", "1", "5", "2"],
      );
      assert.deepEqual(
        ids(run("SELECT * FROM c WHERE IS_NUMBER(c.age) ORDER BY c.age, c.name DESC", people)),
        ["2", "5", "1", "3"],
      );
      const ties = [
        { id: "x", k: 1 },
        { id: "y", k: 1 },
        { id: "z", k: 0 },
      ];
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.k", ties)), ["z", "x", "y"]);
    });

    it("sorts undefined first in a multi-field ORDER BY", () => {
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.city, c.id", people)), ["5", "4", "2", "1", "3"]);
    });

    it("sorts by computed expressions and projects after sorting", () => {
      assert.deepEqual(run("SELECT VALUE c.name FROM c ORDER BY LOWER(c.name)", people), [
        "Ann",
        "bob",
        "Cid",
        "Dee",
        "Eve",
      ]);
    });
  });

  describe("TOP, OFFSET LIMIT and DISTINCT", () => {
    it("applies TOP", () => {
      assert.deepEqual(ids(run("SELECT TOP 2 * FROM c", people)), ["1", "2"]);
      assert.deepEqual(ids(run("SELECT TOP 2 * FROM c ORDER BY c.name DESC", people)), ["2", "5"]);
      assert.deepEqual(run("SELECT TOP 0 * FROM c", people), []);
      assert.deepEqual(ids(run("SELECT TOP @n * FROM c", people, { "@n": 3 })), ["1", "2", "3"]);
    });

    it("applies OFFSET LIMIT, also with parameters and together with TOP", () => {
      assert.deepEqual(ids(run("SELECT * FROM c ORDER BY c.id OFFSET 1 LIMIT 2", people)), ["2", "3"]);
      assert.deepEqual(ids(run("SELECT * FROM c OFFSET 4 LIMIT 10", people)), ["5"]);
      assert.deepEqual(ids(run("SELECT * FROM c OFFSET 10 LIMIT 10", people)), []);
      assert.deepEqual(ids(run("SELECT * FROM c OFFSET @o LIMIT @l", people, { "@o": 2, "@l": 1 })), ["3"]);
      assert.deepEqual(ids(run("SELECT TOP 1 * FROM c OFFSET 1 LIMIT 3", people)), ["2"]);
      assert.deepEqual(run("SELECT VALUE COUNT(1) FROM c OFFSET 1 LIMIT 1", people), []);
    });

    it("rejects TOP/OFFSET/LIMIT parameters that are not non-negative integers", () => {
      const query = parseQuery("SELECT TOP @n * FROM c");
      for (const n of [-1, 1.5, "3", undefined]) {
        assert.throws(
          () => executeQuery(query, people, { "@n": n }),
          (e: unknown) =>
            e instanceof QuerySyntaxError && /TOP value must be a non-negative integer/.test(e.message),
        );
      }
    });

    it("removes duplicates with DISTINCT before OFFSET/LIMIT", () => {
      assert.deepEqual(run("SELECT DISTINCT VALUE c.city FROM c", people), ["Oslo", "Bergen", null]);
      assert.deepEqual(run("SELECT DISTINCT c.age FROM c", people), [
        { age: 31 },
        { age: 25 },
        { age: 40 },
        { age: "unknown" },
      ]);
      assert.deepEqual(
        run("SELECT DISTINCT VALUE c.age FROM c ORDER BY c.age OFFSET 1 LIMIT 2", people),
        [31, 40],
      );
      assert.deepEqual(
        run("SELECT DISTINCT VALUE c.o FROM c", [
          { o: { a: 1, b: 2 } },
          { o: { b: 2, a: 1 } },
          { o: 1 },
          { o: "1" },
        ]),
        [{ a: 1, b: 2 }, 1, "1"],
      );
      assert.deepEqual(run("SELECT DISTINCT TOP 2 VALUE c.age FROM c", people), [31, 25]);
    });
  });

  describe("parameters", () => {
    it("binds parameters by their SDK names", () => {
      assert.deepEqual(ids(run("SELECT * FROM root r WHERE r.id = @id", people, { "@id": "4" })), ["4"]);
      assert.deepEqual(
        ids(
          run("SELECT * FROM c WHERE c.age > @min AND c.city = @city", people, {
            "@min": 26,
            "@city": "Oslo",
          }),
        ),
        ["1", "3"],
      );
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.address = @a", people, { "@a": { zip: "5003" } })), [
        "2",
      ]);
    });

    it("treats a missing parameter as undefined", () => {
      assert.deepEqual(run("SELECT * FROM c WHERE c.id = @nope", people), []);
      assert.deepEqual(run("SELECT VALUE @nope FROM c", people), []);
    });

    it("converts the SDK parameter list with parametersFromSpec", () => {
      const params = parametersFromSpec([
        { name: "@id", value: "2" },
        { name: "city", value: "Bergen" },
      ]);
      assert.deepEqual(params, { "@id": "2", "@city": "Bergen" });
      assert.deepEqual(ids(run("SELECT * FROM c WHERE c.id = @id AND c.city = @city", people, params)), [
        "2",
      ]);
      assert.deepEqual(parametersFromSpec(undefined), {});
    });
  });

  describe("SDK queries", () => {
    it("answers the offer query with a double-quoted string", () => {
      const offers = [
        { id: "o1", resource: "dbs/abc=/colls/def=/", offerVersion: "V2" },
        { id: "o2", resource: "dbs/abc=/colls/xyz=/", offerVersion: "V2" },
      ];
      assert.deepEqual(run('SELECT * from root where root.resource = "dbs/abc=/colls/def=/"', offers), [
        offers[0],
      ]);
    });

    it("answers point lookups through a parameter", () => {
      const query = parseQuery("SELECT * FROM root r WHERE r.id=@id");
      assert.deepEqual(ids(executeQuery(query, people, parametersFromSpec([{ name: "@id", value: "3" }]))), [
        "3",
      ]);
    });
  });

  describe("FROM ... IN and JOIN", () => {
    const families: Doc[] = [
      {
        id: "f1",
        kids: [
          { name: "x", pets: ["cat", "dog"] },
          { name: "y", pets: [] },
        ],
        tags: ["a", "b"],
      },
      { id: "f2", kids: [{ name: "z", pets: ["fish"] }], tags: ["b"] },
      { id: "f3", tags: "not an array" },
    ];

    it("iterates an array of each item with FROM alias IN path", () => {
      assert.deepEqual(run("SELECT VALUE k.name FROM k IN f.kids", families), ["x", "y", "z"]);
      assert.deepEqual(run("SELECT * FROM k IN Families.kids WHERE k.name > 'x'", families), [
        { name: "y", pets: [] },
        { name: "z", pets: ["fish"] },
      ]);
    });

    it("pairs each item with every element of a JOIN array, skipping items without one", () => {
      assert.deepEqual(run("SELECT c.id, t FROM c JOIN t IN c.tags", families), [
        { id: "f1", t: "a" },
        { id: "f1", t: "b" },
        { id: "f2", t: "b" },
      ]);
      assert.deepEqual(
        run("SELECT VALUE c.id FROM c JOIN t IN c.tags WHERE t = 'b' ORDER BY c.id DESC", families),
        ["f2", "f1"],
      );
    });

    it("chains JOINs, each over the aliases before it, and aggregates over the joined rows", () => {
      assert.deepEqual(run("SELECT k.name, p FROM f JOIN k IN f.kids JOIN p IN k.pets", families), [
        { name: "x", p: "cat" },
        { name: "x", p: "dog" },
        { name: "z", p: "fish" },
      ]);
      assert.deepEqual(run("SELECT VALUE COUNT(1) FROM f JOIN k IN f.kids JOIN p IN k.pets", families), [3]);
    });

    it("rejects SELECT * over several inputs and aliases that are not bound yet", () => {
      assert.equal(syntaxError("SELECT * FROM c JOIN t IN c.tags").code, "SC2030");
      assert.equal(syntaxError("SELECT t FROM c JOIN t IN u.tags JOIN u IN c.kids").code, "SC2001");
      assert.equal(syntaxError("SELECT k FROM k IN c.kids JOIN t IN c.tags").code, "SC2001");
    });
  });

  describe("GROUP BY", () => {
    it("returns one row per distinct group value, including a group for undefined", () => {
      assert.deepEqual(run("SELECT c.age FROM c GROUP BY c.age ORDER BY c.age", people), [
        { age: 25 },
        { age: 31 },
        { age: 40 },
        { age: "unknown" },
      ]);
      assert.deepEqual(run("SELECT VALUE c.city FROM c GROUP BY c.city", people), ["Oslo", "Bergen", null]);
    });

    it("computes aggregates per group, also nested in objects as the SDK's rewritten queries are", () => {
      assert.deepEqual(
        run(
          "SELECT c.city, COUNT(1) AS n, MIN(c.age) AS youngest, SUM(c.nope) AS s FROM c GROUP BY c.city",
          people,
        ),
        [
          { city: "Oslo", n: 2, youngest: 31, s: 0 },
          { city: "Bergen", n: 1, youngest: 25, s: 0 },
          { city: null, n: 1, youngest: "unknown", s: 0 },
          { n: 1, youngest: 25, s: 0 },
        ],
      );
      assert.deepEqual(
        run(
          'SELECT [{"item": c.city}] AS groupByItems, {"n": {"item": COUNT(1)}} AS payload FROM c GROUP BY c.city',
          [people[0], people[2]],
        ),
        [{ groupByItems: [{ item: "Oslo" }], payload: { n: { item: 2 } } }],
      );
    });

    it("groups by several expressions and allows TOP", () => {
      const rows = run("SELECT c.city, c.age FROM c GROUP BY c.city, c.age", people);
      assert.equal(rows.length, 5);
      assert.equal(run("SELECT TOP 1 c.age FROM c GROUP BY c.age", people).length, 1);
    });

    it("rejects select-list references that are neither grouped nor aggregated", () => {
      const error = syntaxError("SELECT c.name FROM c GROUP BY c.city");
      assert.equal(error.code, "SC2102");
      assert.match(error.cosmosMessage, /'c.name' is invalid .* GROUP BY clause/);
      assert.equal(syntaxError("SELECT c.city FROM c GROUP BY COUNT(1)").code, "SC2101");
    });
  });

  describe("MAKELIST and MAKESET", () => {
    it("collect the defined values of a column, MAKESET without duplicates", () => {
      assert.deepEqual(run("SELECT VALUE MAKELIST(c.city) FROM c", people), [
        ["Oslo", "Bergen", "Oslo", null],
      ]);
      assert.deepEqual(run("SELECT VALUE MAKESET(c.city) FROM c", people), [["Oslo", "Bergen", null]]);
      assert.deepEqual(run("SELECT VALUE MAKELIST(c.tags) FROM c WHERE IS_ARRAY(c.tags)", people), [
        [["a", "b"], ["b"], []],
      ]);
      assert.deepEqual(run("SELECT VALUE MAKELIST(c.nope) FROM c", people), [[]]);
    });

    it("work per group", () => {
      assert.deepEqual(
        run("SELECT c.age, MakeSet(c.city) AS cities FROM c WHERE c.age = 25 GROUP BY c.age", people),
        [{ age: 25, cities: ["Bergen"] }],
      );
    });
  });

  describe("spatial functions", () => {
    const square =
      "{type: 'Polygon', coordinates: [[[31.8, -5], [32, -5], [32, -4.7], [31.8, -4.7], [31.8, -5]]]}";
    const point = (lon: number, lat: number) => `{type: 'Point', coordinates: [${lon}, ${lat}]}`;

    it("measures great-circle distances in metres, as the SDK's spatial test filters by", () => {
      const metres = scalar(`ST_DISTANCE(${point(20, 20)}, ${point(20.1, 20)})`) as number;
      assert.ok(Math.abs(metres - 10_449) < 5, `${metres}`);
      // One degree of latitude from a line along the equator: about 111.2 km.
      const toLine = scalar(
        `ST_DISTANCE(${point(0, 1)}, {type: 'LineString', coordinates: [[-1, 0], [1, 0]]})`,
      );
      assert.ok(Math.abs((toLine as number) - 111_195) < 5, `${String(toLine)}`);
      const locations: Doc[] = [
        { id: "location1", Location: { type: "Point", coordinates: [20, 20] } },
        { id: "location2", Location: { type: "Point", coordinates: [100, 100] } },
      ];
      const query = `SELECT * FROM root WHERE (ST_DISTANCE(root.Location, ${point(20.1, 20)}) < 20000)`;
      assert.deepEqual(ids(run(query, locations)), ["location1"]);
    });

    it("tests containment and intersection against polygons", () => {
      assert.equal(scalar(`ST_WITHIN(${point(31.9, -4.8)}, ${square})`), true);
      assert.equal(scalar(`ST_WITHIN(${point(30, 30)}, ${square})`), false);
      const line = (lat: number) => `{type: 'LineString', coordinates: [[31, ${lat}], [33, ${lat}]]}`;
      assert.equal(scalar(`ST_INTERSECTS(${line(-4.8)}, ${square})`), true);
      assert.equal(scalar(`ST_INTERSECTS(${line(-4)}, ${square})`), false);
      assert.equal(scalar(`ST_WITHIN(${line(-4.8)}, ${square})`), false);
      assert.equal(scalar(`ST_WITHIN(c.nope, ${square})`), undefined);
    });

    it("validates GeoJSON and says why a geometry is invalid", () => {
      assert.equal(scalar(`ST_ISVALID(${square})`), true);
      assert.equal(scalar("ST_ISVALID({type: 'Polygon', coordinates: [[[1, 1], [2, 2], [1, 2]]]})"), false);
      assert.deepEqual(scalar(`ST_ISVALIDDETAILED(${point(31.9, -132.8)})`), {
        valid: false,
        reason: "Latitude -132.8 is outside [-90, 90].",
      });
      assert.deepEqual(scalar(`ST_ISVALIDDETAILED(${point(1, 2)})`), { valid: true });
    });
  });

  describe("more built-in functions", () => {
    it("evaluates math and integer functions, undefined where Cosmos has no number", () => {
      assert.deepEqual(
        [
          "POWER(2, 10)",
          "LOG(8, 2)",
          "SQRT(-1)",
          "INTDIV(7, 2)",
          "INTADD(1, 1.5)",
          "TRUNC(-1.5)",
          "NUMBERBIN(37, 10)",
        ].map((e) => scalar(e)),
        [1024, 3, undefined, 3, undefined, -1, 30],
      );
      assert.equal(scalar("PI()"), Math.PI);
      assert.deepEqual(
        [scalar("IS_INTEGER(2)"), scalar("IS_INTEGER(1.5)"), scalar("IS_FINITE_NUMBER(1)")],
        [true, false, true],
      );
    });

    it("evaluates string conversion, split, join and regular expression functions", () => {
      assert.deepEqual(scalar("STRINGTOARRAY('[1, 2]')"), [1, 2]);
      assert.equal(scalar("STRINGTONUMBER('x')"), undefined);
      assert.deepEqual(scalar("STRINGTOOBJECT('{\"a\": 1}')"), { a: 1 });
      assert.deepEqual(scalar("STRINGSPLIT('a-b', '-')"), ["a", "b"]);
      assert.equal(scalar("STRINGJOIN(['a', 'b'], '-')"), "a-b");
      assert.equal(scalar("REPLICATE('ab', 2)"), "abab");
      assert.equal(scalar("REGEXMATCH('abc', 'B', 'i')"), true);
      assert.equal(scalar("REGEXMATCH('abc', 'a b', 'x')"), true);
    });

    it("evaluates array and set functions", () => {
      assert.deepEqual(scalar("ARRAY_SLICE([1, 2, 3, 4], -2, 1)"), [3]);
      assert.deepEqual(scalar("ARRAY_CONCAT([1], [2, 3])"), [1, 2, 3]);
      assert.deepEqual(scalar("SETINTERSECT([1, 2, 2, 3], [2, 3, 4])"), [2, 3]);
      assert.deepEqual(scalar("SETUNION([1, 2], [2, 5])"), [1, 2, 5]);
      assert.equal(scalar("ARRAY_CONTAINS_ANY([1, 2], 5, 2)"), true);
      assert.equal(scalar("ARRAY_CONTAINS_ALL([1, 2], 1, 5)"), false);
      assert.deepEqual(scalar("OBJECTTOARRAY({a: 1})"), [{ k: "a", v: 1 }]);
      assert.equal(scalar("IIF(c.flag, 'y', 'n')", { flag: true }), "y");
    });

    it("evaluates date and time functions on ISO 8601 UTC strings and ticks", () => {
      assert.equal(
        scalar("DATETIMEADD('dd', 1, '2020-01-31T00:00:00.0000000Z')"),
        "2020-02-01T00:00:00.0000000Z",
      );
      assert.equal(scalar("DATETIMEADD('month', 1, '2020-01-15T10:00:00Z')"), "2020-02-15T10:00:00.0000000Z");
      assert.equal(scalar("DATETIMEPART('mm', '2020-02-03T04:05:06Z')"), 2);
      assert.equal(scalar("DATETIMEDIFF('day', '2020-01-01', '2020-03-01')"), 60);
      assert.equal(scalar("DATETIMETOTICKS('1970-01-01T00:00:00Z')"), 621_355_968_000_000_000);
      assert.equal(scalar("TICKSTODATETIME(621355968000000000)"), "1970-01-01T00:00:00.0000000Z");
      assert.equal(scalar("DATETIMETOTIMESTAMP('not a date')"), undefined);
      const now = Date.parse(scalar("GETCURRENTDATETIME()") as string);
      assert.ok(Math.abs(now - Date.now()) < 60_000);
    });
  });

  describe("performance", () => {
    it("filters, sorts and aggregates 100k documents quickly", function () {
      this.timeout(10_000);
      const docs: Doc[] = [];
      for (let i = 0; i < 100_000; i++) {
        docs.push({ id: String(i), n: i % 1000, kind: i % 3 === 0 ? "a" : "b", nested: { v: i } });
      }
      const started = performance.now();
      const filtered = run("SELECT VALUE c.id FROM c WHERE c.kind = 'a' AND c.nested.v >= @min", docs, {
        "@min": 50_000,
      });
      const sorted = run("SELECT TOP 3 c.id FROM c ORDER BY c.n DESC, c.nested.v", docs);
      const counted = run("SELECT VALUE COUNT(1) FROM c WHERE c.n < 10", docs);
      const elapsed = performance.now() - started;
      assert.equal(filtered.length, 16_667);
      assert.deepEqual(sorted, [{ id: "999" }, { id: "1999" }, { id: "2999" }]);
      assert.deepEqual(counted, [1000]);
      assert.ok(elapsed < 3000, `took ${elapsed.toFixed(0)} ms`);
    });
  });
});
