import assert from "node:assert/strict";
import { errors, types, type Client } from "cassandra-driver";
import { bodyHash } from "../engine/documents";
import { blobTag, plainRow, plainValue } from "../engine/cassandra/plain-row";
import { rowEncoding } from "../engine/cassandra/row-encoding";
import { TableRowSink } from "../engine/cassandra/row-sink";
import { TokenRangeReader } from "../engine/cassandra/table-reader";
import type { TableSchema } from "../engine/cassandra/table-schema";
import {
  boundLong,
  boundToken,
  defaultTokenRangeCount,
  rangeHoldsToken,
  splitRing,
  tokenBound,
} from "../engine/cassandra/token-ranges";
import { seededRandom } from "./support/random";

/**
 * The Cassandra copy's parts that need no node: the ring's ranges, the plain form of rows, and how the reader
 * and the sink treat what only Azure's Cassandra API answers (request charges, overloaded answers), fed by a
 * stand-in client.
 */
describe("Cassandra token ranges", () => {
  const minToken = -(1n << 63n);
  const maxToken = (1n << 63n) - 1n;

  it("cover the ring from -2^63 to 2^63-1 with adjacent ranges, no gap and no overlap", () => {
    for (const count of [1, 2, 3, 7, defaultTokenRangeCount, 1000]) {
      const ranges = splitRing(count);
      assert.equal(ranges.length, count);
      assert.equal(boundToken(ranges[0].lower), minToken);
      assert.equal(boundToken(ranges[count - 1].upper), maxToken);
      for (let i = 1; i < count; i++) assert.equal(ranges[i].lower, ranges[i - 1].upper, `range ${i}`);
      for (const range of ranges) assert.ok(range.lower < range.upper, `${range.lower} < ${range.upper}`);
    }
  });

  it("splits the default ring into 64 ranges of 2^58 tokens each", () => {
    const widths = new Set(splitRing().map((r) => boundToken(r.upper) - boundToken(r.lower)));
    // The last range is one token short: the ring ends at 2^63-1, not 2^63.
    assert.deepEqual([...widths].sort(), [(1n << 58n) - 1n, 1n << 58n].sort());
  });

  it("puts every token in exactly one range, the extremes included", () => {
    const ranges = splitRing(7);
    const random = seededRandom(13);
    const randomToken = () =>
      BigInt.asIntN(
        64,
        (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)),
      );
    const tokens = [minToken + 1n, maxToken, 0n, -1n, ...ranges.map((r) => boundToken(r.upper))];
    for (let i = 0; i < 1000; i++) tokens.push(randomToken());
    for (const token of tokens.filter((t) => t !== minToken)) {
      const holders = ranges.filter((range) => rangeHoldsToken(range, tokenBound(token)));
      assert.equal(holders.length, 1, `token ${token}`);
    }
  });

  it("bound strings sort as their tokens do", () => {
    const tokens = [minToken, minToken + 1n, -256n, -1n, 0n, 1n, 255n, 256n, maxToken - 1n, maxToken];
    const bounds = tokens.map(tokenBound);
    assert.ok(bounds.every((bound) => bound.length === 16));
    assert.deepEqual([...bounds].sort(), bounds);
  });

  it("round-trips a bound through its token and the driver's Long", () => {
    for (const token of [minToken, -1n, 0n, 42n, maxToken]) {
      const bound = tokenBound(token);
      assert.equal(boundToken(bound), token);
      assert.equal(boundLong(bound).toString(), token.toString());
      assert.equal(tokenBound(boundLong(bound)), bound);
    }
  });

  it("refuses bad counts and bounds, naming them", () => {
    assert.throws(() => splitRing(0), /into 0 ranges/);
    assert.throws(() => splitRing(2.5), /into 2\.5 ranges/);
    assert.throws(() => boundToken("00ff"), /'00ff' is not a token range bound/);
    assert.throws(() => boundToken("FFFFFFFFFFFFFFFF"), /not a token range bound/);
    assert.throws(() => tokenBound(1n << 63n), /9223372036854775808 is not a Murmur3 token/);
  });
});

describe("Cassandra plain rows", () => {
  it("writes the driver's classes as their exact string forms", () => {
    const uuid = types.Uuid.fromString("6c4a9c3e-3b4c-4f8e-9a55-0d1c2b3a4f5e");
    const timeUuid = types.TimeUuid.fromString("a1b2c3d4-1dd2-11b2-8080-808080808080");
    assert.deepEqual(
      plainRow({
        bigint: types.Long.fromString("-9223372036854775808"),
        varint: types.Integer.fromString("123456789012345678901234567890"),
        decimal: types.BigDecimal.fromString("-12345678901234567890.000123"),
        uuid,
        timeUuid,
        inet: types.InetAddress.fromString("::1"),
        date: types.LocalDate.fromString("2024-02-29"),
        time: types.LocalTime.fromString("23:59:59.123456789"),
        duration: new types.Duration(1, 2, types.Long.fromNumber(3_000_000_000)),
        timestamp: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 7)),
        nativeBigint: 12345678901234567890n,
      }),
      {
        bigint: "-9223372036854775808",
        varint: "123456789012345678901234567890",
        decimal: "-12345678901234567890.000123",
        uuid: "6c4a9c3e-3b4c-4f8e-9a55-0d1c2b3a4f5e",
        timeUuid: "a1b2c3d4-1dd2-11b2-8080-808080808080",
        inet: "::1",
        date: "2024-02-29",
        time: "23:59:59.123456789",
        duration: "1mo2d3s",
        timestamp: "2024-02-29T12:00:00.007Z",
        nativeBigint: "12345678901234567890",
      },
    );
  });

  it("tags blobs so that no text reads the same, and keeps null apart from NaN", () => {
    const blob = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(plainValue(blob), { [blobTag]: "AAEC/w==" });
    assert.notEqual(bodyHash({ c: plainValue(blob) }), bodyHash({ c: plainValue("AAEC/w==") }));
    assert.equal(plainValue(null), null);
    assert.equal(plainValue(undefined), null);
    assert.equal(plainValue(Number.NaN), "NaN");
    assert.equal(plainValue(-Infinity), "-Infinity");
    assert.equal(plainValue(1.5), 1.5);
    assert.equal(plainValue(false), false);
  });

  it("turns collections, tuples and UDTs into JSON, recursively, maps as entries sorted by key", () => {
    const udt = { street: "Main", zip: 1234, tags: new Set(["a", "b"]), photo: Buffer.from("x") };
    const row = {
      list: [types.Long.fromNumber(1), null],
      set: new Set([types.Uuid.fromString("00000000-0000-0000-0000-000000000001")]),
      map: new Map<unknown, unknown>([
        [2, "two"],
        [1, [udt]],
      ]),
      tuple: new types.Tuple(1, "a", new Date(0)),
      vector: new types.Vector([0.5, 1.5], "float"),
      udt,
    };
    const plainUdt = { street: "Main", zip: 1234, tags: ["a", "b"], photo: { [blobTag]: "eA==" } };
    assert.deepEqual(plainRow(row), {
      list: ["1", null],
      set: ["00000000-0000-0000-0000-000000000001"],
      map: [
        [1, [plainUdt]],
        [2, "two"],
      ],
      tuple: [1, "a", "1970-01-01T00:00:00.000Z"],
      vector: [0.5, 1.5],
      udt: plainUdt,
    });
  });

  it("reads a map the same whichever order it was built in", () => {
    const forward = new Map([
      [Buffer.from("a"), 1],
      [Buffer.from("b"), 2],
    ]);
    const backward = new Map([...forward].reverse());
    assert.deepEqual(plainValue(forward), plainValue(backward));
  });

  it("refuses a value of a class it does not know, naming it", () => {
    class Point {}
    assert.throws(() => plainValue(new Point()), /A Cassandra value of type Point cannot be copied/);
  });
});

/** A client whose `execute` answers with `answers` in turn (an Error is thrown); records what it was sent. */
function scriptedClient(...answers: (Error | Partial<types.ResultSet>)[]) {
  const sent: { query: string; params: unknown[] }[] = [];
  const client = {
    options: { encoding: rowEncoding },
    execute: async (query: string, params: unknown[]) => {
      sent.push({ query, params });
      const answer = answers.shift();
      if (answer instanceof Error) throw answer;
      return { rows: [], info: { customPayload: null }, ...answer };
    },
  };
  return { client: client as unknown as Client, sent };
}

/** Azure's custom payload: the request charge as a big-endian double. */
function chargePayload(charge: number) {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(charge);
  return { customPayload: { RequestCharge: bytes } } as unknown as types.ResultSet["info"];
}

describe("Cassandra reader and sink with Azure's answers", () => {
  const schema: TableSchema = {
    keyspace: "ks",
    table: "Orders",
    columns: [
      { name: "id", type: "int", expandedType: "int" },
      { name: "note", type: "text", expandedType: "text" },
    ],
    partitionKey: ["id"],
    clustering: [],
  };

  it("reads a page's request charge from the custom payload, and quotes names in its query", async () => {
    const { client, sent } = scriptedClient({ rows: [], pageState: "00ff", info: chargePayload(2.5) });
    const reader = new TokenRangeReader(
      client,
      schema,
      { lower: "0000000000000000", upper: "ffffffffffffffff" },
      10,
    );
    const page = await reader.next();
    assert.deepEqual(page, { items: [], continuation: "page:00ff", drained: false, requestCharge: 2.5 });
    assert.equal(reader.expectedCharge, 2.5);
    assert.equal(
      sent[0].query,
      'SELECT "id", "note" FROM "ks"."Orders" WHERE token("id") > ? AND token("id") <= ?',
    );
  });

  it("retries an overloaded insert after its wait, counts it throttled, and binds nulls as unset", async () => {
    const overloaded = new errors.ResponseError(
      types.responseErrorCodes.overloaded,
      "Request rate is large, RetryAfterMs=5",
    );
    const { client, sent } = scriptedClient(overloaded, { info: chargePayload(7) });
    const sink = new TableRowSink(client, schema, ["id", "note"]);
    const prepared = sink.prepare({
      items: [{ id: 1, note: null }],
      continuation: "end",
      drained: true,
      requestCharge: 0,
    });
    assert.deepEqual(prepared.bodies, [{ id: 1, note: null }]);
    const cost = await prepared.write(new AbortController().signal);
    assert.deepEqual(cost, { requestCharge: 7, throttled: 1 });
    assert.equal(sent.length, 2);
    assert.equal(sent[1].query, 'INSERT INTO "ks"."Orders" ("id", "note") VALUES (?, ?)');
    assert.deepEqual(sent[1].params, [1, types.unset]);
  });

  it("refuses a client that decodes maps as plain objects", () => {
    const client = { options: { encoding: {} } } as unknown as Client;
    assert.throws(() => new TableRowSink(client, schema, ["id"]), /open it with `encoding: rowEncoding`/);
  });
});
