import assert from "node:assert/strict";
import path from "node:path";

import {
  effectivePartitionKey,
  epkRangeBoundaries,
  epkRangeMidpoint,
  epkRangeWidth,
  extractPartitionKey,
  parsePartitionKeyPath,
  rangeIndexOf,
  readSortableNumberHex,
  sortableNumberHex,
  type PartitionKeyDefinition,
  type PartitionKeyValue,
} from "../partitioning/effective-partition-key";
import { murmurHash3x64_128, murmurHash3x86_32 } from "../partitioning/murmurhash3";
import { seededRandom } from "./support/random";

// The SDK's own internals (not in its package "exports", so required by absolute path).
const sdkRoot = path.join(path.dirname(require.resolve("@azure/cosmos/package.json")), "dist/commonjs");
const sdkHashingDir = path.join(sdkRoot, "utils/hashing");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkHash = require(path.join(sdkHashingDir, "hash.js")) as {
  hashPartitionKey(partitionKey: PartitionKeyValue[], definition: PartitionKeyDefinition): string;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkMurmur = require(path.join(sdkHashingDir, "murmurHash.js")) as {
  default: {
    x86: { hash32(bytes: Uint8Array, seed?: number): number };
    x64: { hash128(bytes: Uint8Array, seed?: number): string };
  };
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkHelper = require(path.join(sdkRoot, "common/helper.js")) as { parsePath(path: string): string[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdkExtract = require(path.join(sdkRoot, "extractPartitionKey.js")) as {
  extractPartitionKeys(
    document: unknown,
    definition: PartitionKeyDefinition,
  ): PartitionKeyValue[] | undefined;
};

const V1: PartitionKeyDefinition = { paths: ["/pk"], kind: "Hash" };
const V2: PartitionKeyDefinition = { paths: ["/pk"], kind: "Hash", version: 2 };
const MULTI: PartitionKeyDefinition = { paths: ["/a", "/b", "/c"], kind: "MultiHash", version: 2 };

const prng = seededRandom;

const CHAR_POOLS = [
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ ./:",
  "éüßçñøÅÆ€£¥©®±µ¶",
  "日本語中文한국어汉字",
  "😀🎉🚀👍🏽🌍", // surrogate pairs
  "\u0000\u0001\u007f\u0080\u07ff\u0800\uffff",
];

function randomString(rand: () => number, length: number): string {
  let s = "";
  while (s.length < length) {
    const pool = Array.from(CHAR_POOLS[Math.floor(rand() * CHAR_POOLS.length)]);
    s += pool[Math.floor(rand() * pool.length)];
  }
  return s;
}

function randomNumber(rand: () => number): number {
  switch (Math.floor(rand() * 6)) {
    case 0:
      return Math.floor(rand() * 1000) - 500; // small integers, negatives
    case 1:
      return (rand() - 0.5) * 1e6; // fractions
    case 2:
      return Math.floor((rand() - 0.5) * 2 ** 53); // large integers
    case 3:
      return (rand() - 0.5) * 10 ** Math.floor(rand() * 600 - 300); // any magnitude
    case 4:
      return Math.floor(rand() * 2 ** 32); // uint32
    default:
      return rand() < 0.5 ? Math.fround(rand() * 100) : -Math.floor(rand() * 2 ** 31);
  }
}

const SPECIAL_VALUES: PartitionKeyValue[] = [
  "",
  "abc",
  "a".repeat(99),
  "a".repeat(100),
  "a".repeat(101),
  "b".repeat(250),
  "x".repeat(99) + "😀", // surrogate pair split by V1's 100-unit truncation
  "x".repeat(98) + "😀😀",
  "é".repeat(120),
  "\ud800", // lone surrogates
  "a\udc00b",
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2,
  131072,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2 ** 32 - 1,
  2 ** 64,
  1e-300,
  true,
  false,
  null,
  {},
];

function generateValues(seed: number, count: number): PartitionKeyValue[] {
  const rand = prng(seed);
  const values = [...SPECIAL_VALUES];
  while (values.length < count) {
    const r = rand();
    if (r < 0.6) {
      const long = rand() < 0.25;
      values.push(randomString(rand, long ? 100 + Math.floor(rand() * 200) : Math.floor(rand() * 40)));
    } else if (r < 0.9) values.push(randomNumber(rand));
    else if (r < 0.94) values.push(rand() < 0.5);
    else if (r < 0.97) values.push(null);
    else values.push({});
  }
  return values;
}

function describeValue(value: PartitionKeyValue): string {
  return Object.is(value, -0) ? "-0" : JSON.stringify(value);
}

describe("MurmurHash3", () => {
  it("matches known reference vectors", () => {
    assert.equal(murmurHash3x86_32(Buffer.alloc(0)), 0);
    assert.equal(murmurHash3x86_32(Buffer.alloc(0), 1), 0x514e28b7);
    assert.equal(murmurHash3x86_32(Buffer.from("hello")), 0x248bfa47);
    assert.equal(murmurHash3x86_32(Buffer.from("The quick brown fox jumps over the lazy dog")), 0x2e4ff723);
    assert.equal(
      murmurHash3x64_128(Buffer.from("The quick brown fox jumps over the lazy dog")).toString("hex"),
      "6c1b07bc7bbc4be347939ac4a93c437a",
    );
  });

  it("matches the SDK's implementation for every length 0..80 and random inputs", () => {
    const rand = prng(7);
    for (let n = 0; n < 400; n++) {
      const length = n <= 80 ? n : Math.floor(rand() * 300);
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(rand() * 256);
      const seed = n % 3 === 0 ? 0 : Math.floor(rand() * 2 ** 31);
      assert.equal(
        murmurHash3x86_32(bytes, seed),
        sdkMurmur.default.x86.hash32(bytes, seed),
        `x86_32 len ${length}`,
      );
      assert.equal(
        murmurHash3x64_128(bytes, seed).toString("hex"),
        sdkMurmur.default.x64.hash128(bytes, seed),
        `x64_128 len ${length}`,
      );
    }
  });
});

describe("effectivePartitionKey", () => {
  it("reproduces the protocol document's SDK outputs", () => {
    assert.equal(effectivePartitionKey(V2, ["abc"]), "2424691CC38A7EEF2A65ADE404E1F528");
    assert.equal(effectivePartitionKey(V1, ["abc"]), "05C1ED155F4F7C0862636400");
    assert.equal(
      effectivePartitionKey({ paths: ["/a", "/b"], kind: "MultiHash", version: 2 }, ["a", "b"]),
      "3A5381E1114EB8D3FCC90795045B49B7195644569A78B1E22D200348AF9416CE",
    );
  });

  it("chooses the scheme from kind and version", () => {
    assert.equal(effectivePartitionKey({ paths: ["/pk"] }, ["abc"]), "05C1ED155F4F7C0862636400");
    assert.equal(effectivePartitionKey({ paths: ["/pk"], version: 1 }, ["abc"]), "05C1ED155F4F7C0862636400");
    assert.equal(
      effectivePartitionKey({ paths: ["/pk"], version: 2 }, ["abc"]),
      "2424691CC38A7EEF2A65ADE404E1F528",
    );
    assert.throws(() => effectivePartitionKey({ paths: ["/pk"], kind: "Range" }, ["abc"]), /Unsupported/);
  });

  it("returns the minimum EPK for an empty key, and prefixes for MultiHash prefixes", () => {
    assert.equal(effectivePartitionKey(V1, []), "");
    assert.equal(effectivePartitionKey(V2, []), "");
    assert.equal(effectivePartitionKey(MULTI, []), "");
    const full = effectivePartitionKey(MULTI, ["x", 1, true]);
    assert.equal(full.length, 96);
    assert.equal(effectivePartitionKey(MULTI, ["x"]), full.slice(0, 32));
    assert.equal(effectivePartitionKey(MULTI, ["x", 1]), full.slice(0, 64));
    assert.throws(() => effectivePartitionKey(V2, ["a", "b"]), RangeError);
  });

  const values = generateValues(42, 4000);

  for (const [name, definition] of [
    ["V1", V1],
    ["V2", V2],
  ] as const) {
    it(`matches the SDK for ${values.length} generated ${name} keys`, () => {
      for (const value of values) {
        assert.equal(
          effectivePartitionKey(definition, [value]),
          sdkHash.hashPartitionKey([value], definition),
          `${name} ${describeValue(value)}`,
        );
      }
    });
  }

  it("matches the SDK for generated MultiHash keys and prefixes", () => {
    const rand = prng(99);
    const pick = () => values[Math.floor(rand() * values.length)];
    for (let n = 0; n < 2000; n++) {
      const key = Array.from({ length: 1 + (n % 3) }, pick);
      assert.equal(
        effectivePartitionKey(MULTI, key),
        sdkHash.hashPartitionKey(key, MULTI),
        `MultiHash ${key.map(describeValue).join(",")}`,
      );
    }
  });
});

describe("extractPartitionKey", () => {
  const doc = {
    id: "1",
    pk: "p",
    n: 0,
    b: false,
    z: null,
    empty: {},
    obj: { x: 1 },
    arr: [10, "twenty"],
    nested: { deep: { value: 7 } },
    "a b": "spaced",
    "it's": "quoted",
  };

  it("follows paths, including quoted segments and array indexes", () => {
    assert.deepEqual(extractPartitionKey(V2, doc), ["p"]);
    const def = (...paths: string[]): PartitionKeyDefinition => ({ paths, kind: "MultiHash", version: 2 });
    assert.deepEqual(extractPartitionKey(def("/n", "/b", "/z"), doc), [0, false, null]);
    assert.deepEqual(extractPartitionKey(def("/nested/deep/value"), doc), [7]);
    assert.deepEqual(extractPartitionKey(def('/"a b"', `/"it's"`, "/'a b'"), doc), [
      "spaced",
      "quoted",
      "spaced",
    ]);
    assert.deepEqual(extractPartitionKey(def("/arr/1"), doc), ["twenty"]);
    assert.deepEqual(extractPartitionKey(def("/ pk "), doc), ["p"]);
  });

  it("maps absent and non-scalar values to {}", () => {
    const def: PartitionKeyDefinition = { paths: ["/missing", "/empty", "/obj", "/arr", "/pk/x", "/z/x"] };
    assert.deepEqual(extractPartitionKey(def, doc), [{}, {}, {}, {}, {}, {}]);
    assert.deepEqual(extractPartitionKey({ paths: ["/toString"] }, doc), [{}]);
  });

  it("agrees with the SDK's extractPartitionKeys on scalar and absent values", () => {
    const definitions: PartitionKeyDefinition[] = [
      V2,
      { paths: ["/n", "/b", "/z"], kind: "MultiHash", version: 2 },
      { paths: ["/missing", "/empty", "/nested/deep/value", "/pk/x"], kind: "MultiHash", version: 2 },
      { paths: ['/"a b"', "/arr/0"], kind: "MultiHash", version: 2 },
      { paths: ["/_partitionKey"], systemKey: true },
      { paths: ["/pk"], systemKey: true },
    ];
    const docs = [doc, { id: "2" }, { id: "3", _partitionKey: 5 }, { id: "4", _partitionKey: {} }];
    for (const definition of definitions) {
      for (const d of docs) {
        assert.deepEqual(
          extractPartitionKey(definition, d),
          sdkExtract.extractPartitionKeys(d, definition),
          JSON.stringify(definition.paths),
        );
      }
    }
  });

  it("handles system keys like the SDK", () => {
    const system: PartitionKeyDefinition = { paths: ["/_partitionKey"], kind: "Hash", systemKey: true };
    assert.deepEqual(extractPartitionKey(system, { id: "1" }), []);
    assert.deepEqual(extractPartitionKey(system, { id: "1", _partitionKey: null }), []);
    assert.deepEqual(extractPartitionKey(system, { id: "1", _partitionKey: "k" }), ["k"]);
    assert.deepEqual(extractPartitionKey({ paths: ["/pk"], systemKey: true }, doc), []);
  });

  it("parses paths like the SDK", () => {
    for (const p of [
      "/a",
      "/a/b/c",
      "/ a /b",
      '/"a b"/c',
      "/'x/y'",
      '/"a\\"b"/c',
      "/",
      "/a/",
      "//a",
      '/"é日"',
    ]) {
      assert.deepEqual(parsePartitionKeyPath(p), sdkHelper.parsePath(p), p);
    }
    assert.deepEqual(parsePartitionKeyPath("/a/b"), ["a", "b"]);
    assert.deepEqual(parsePartitionKeyPath('/"a/b"/c'), ["a/b", "c"]);
    assert.deepEqual(parsePartitionKeyPath('/"a\\"b"'), ['a\\"b']);
    assert.deepEqual(parsePartitionKeyPath("/"), []);
    assert.throws(() => parsePartitionKeyPath("a/b"), /invalid/);
    assert.throws(() => parsePartitionKeyPath('/"unterminated'), /invalid/);
  });
});

describe("epkRangeBoundaries", () => {
  const definitions = [
    ["V1", V1],
    ["V2", V2],
    ["MultiHash", MULTI],
  ] as const;

  it("matches the expected V1 and V2 boundaries", () => {
    assert.deepEqual(epkRangeBoundaries(V1, 1), ["", "FF"]);
    assert.deepEqual(epkRangeBoundaries(V1, 4), ["", "05C1D0", "05C1E0", "05C1E8", "FF"]);
    assert.deepEqual(epkRangeBoundaries(V2, 4), [
      "",
      "10000000000000000000000000000000",
      "20000000000000000000000000000000",
      "30000000000000000000000000000000",
      "FF",
    ]);
    assert.throws(() => epkRangeBoundaries(V2, 0), RangeError);
    assert.throws(() => epkRangeBoundaries(V1, 16385), RangeError);
  });

  for (const [name, definition] of definitions) {
    it(`tiles "" to "FF" with strictly increasing boundaries (${name})`, () => {
      for (const count of [1, 2, 3, 4, 5, 7, 16, 100, 1000]) {
        const boundaries = epkRangeBoundaries(definition, count);
        assert.equal(boundaries.length, count + 1);
        assert.equal(boundaries[0], "");
        assert.equal(boundaries[count], "FF");
        for (let i = 1; i <= count; i++) assert.ok(boundaries[i - 1] < boundaries[i], `${count}: ${i}`);
        for (const b of boundaries) assert.match(b, /^[0-9A-F]*$/);
      }
    });

    it(`puts every EPK in exactly one range (${name})`, () => {
      const keys: PartitionKeyValue[][] = generateValues(5, 2000).map((v) => [v]);
      keys.push([]);
      if (definition === MULTI) keys.push(["a", "b"], ["a", "b", 3], [null, {}, false]);
      for (const count of [1, 2, 3, 4, 7, 64]) {
        const boundaries = epkRangeBoundaries(definition, count);
        for (const key of keys) {
          const epk = effectivePartitionKey(definition, key);
          let owners = 0;
          for (let i = 0; i < count; i++) if (boundaries[i] <= epk && epk < boundaries[i + 1]) owners++;
          assert.equal(owners, 1, `${count} ranges, EPK ${epk}`);
          const index = rangeIndexOf(boundaries, epk);
          assert.ok(boundaries[index] <= epk && epk < boundaries[index + 1]);
        }
      }
    });

    it(`spreads 1,000 random string keys over 4 partitions (${name})`, () => {
      const rand = prng(2024);
      const boundaries = epkRangeBoundaries(definition, 4);
      const counts = [0, 0, 0, 0];
      for (let n = 0; n < 1000; n++) {
        const key = randomString(rand, 1 + Math.floor(rand() * 30));
        counts[rangeIndexOf(boundaries, effectivePartitionKey(definition, [key]))]++;
      }
      for (const c of counts) assert.ok(c > 100, `partition sizes ${counts.join(", ")}`);
    });
  }

  it("orders V1 EPKs by hash, whatever value encoding follows the hash", () => {
    // The V1 EPK is sortableNumber(hash) + encoding(value); the value part starts with one of
    // these bytes. Check hashes around boundaries and the hashes whose encoding is shortest.
    const suffixes = ["00", "01", "02", "03", "05C0", "0800", "08FF"];
    const rand = prng(3);
    for (const count of [2, 3, 4, 7, 64, 1000, 16384]) {
      const boundaries = epkRangeBoundaries(V1, count);
      const cuts = Array.from({ length: count - 1 }, (_, i) => Math.floor(((i + 1) * 2 ** 32) / count));
      const hashes = [0, 1, 2, 3, 131071, 131072, 131073, 262144, 2 ** 32 - 1];
      for (const cut of cuts.slice(0, 50)) hashes.push(cut - 1, cut, cut + 1);
      for (let n = 0; n < 200; n++) hashes.push(Math.floor(rand() * 2 ** 32));
      for (const hash of hashes) {
        const expected = cuts.filter((cut) => cut <= hash).length;
        for (const suffix of suffixes) {
          assert.equal(
            rangeIndexOf(boundaries, sortableNumberHex(hash) + suffix),
            expected,
            `${count}: ${hash}`,
          );
        }
      }
    }
  });
});

describe("epkRangeMidpoint (partition splits)", () => {
  const definitions = [
    ["V1", V1],
    ["V2", V2],
    ["MultiHash", MULTI],
  ] as const;

  it("reads back every V1 boundary encoding", () => {
    const rand = prng(11);
    const values = [0, 1, 2, 131072, 262144, 2 ** 31, 2 ** 32 - 1, -1.5, 0.25];
    for (let n = 0; n < 500; n++) values.push(Math.floor(rand() * 2 ** 32));
    for (const value of values) assert.equal(readSortableNumberHex(sortableNumberHex(value)), value);
  });

  for (const [name, definition] of definitions) {
    it(`halves ranges onto the boundaries an even split would give (${name})`, () => {
      const four = epkRangeBoundaries(definition, 4);
      assert.equal(epkRangeMidpoint(definition, "", "FF"), epkRangeBoundaries(definition, 2)[1]);
      assert.equal(epkRangeMidpoint(definition, four[0], four[2]), four[1]);
      assert.equal(epkRangeMidpoint(definition, four[2], four[4]), four[3]);
      assert.equal(epkRangeWidth(definition, four[0], four[1]), epkRangeWidth(definition, four[3], four[4]));
    });

    it(`keeps splitting the first range until it is too narrow, each midpoint strictly inside (${name})`, () => {
      let max = "FF";
      let splits = 0;
      for (let mid = epkRangeMidpoint(definition, "", max); mid !== undefined;) {
        assert.ok("" < mid && mid < max, `${mid} inside ["", ${max})`);
        max = mid;
        splits++;
        mid = epkRangeMidpoint(definition, "", max);
      }
      assert.equal(splits, definition === V1 ? 14 : 126);
    });
  }
});
