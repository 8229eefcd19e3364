import assert from "node:assert/strict";
import { sessionTokenLsn } from "../engine/change-feed-reader";
import { rangeFinished } from "../engine/job-ranges";
import { lastChangePerItem, parseChange } from "../engine/source-changes";
import type { JobRecord, RangeRecord } from "../engine/types";

/** The pure parts of online copies: reading all-versions changes, choosing what to write, when a range ends. */
const byPk = { paths: ["/pk"], kind: "Hash", version: 2 };
const system = { _rid: "r", _self: "s", _etag: '"e"', _ts: 5, _lsn: 9 };

describe("online copy units", function () {
  describe("parseChange", function () {
    it("reads a create and a replace from their current image, without system properties", function () {
      const change = parseChange(
        {
          current: { id: "a", pk: "p", n: 1, ...system },
          metadata: { operationType: "replace", lsn: 9, crts: 5 },
        },
        byPk,
      );
      assert.deepEqual(change, {
        operation: "replace",
        lsn: 9,
        crts: 5,
        id: "a",
        sourceKey: ["p"],
        current: { id: "a", pk: "p", n: 1 },
        previous: undefined,
      });
    });

    it("reads a delete's id and key from its previous image, or from its metadata without one", function () {
      const metadata = { operationType: "delete", lsn: 12, crts: 6, id: "a", partitionKey: { pk: "p" } };
      const withImage = parseChange({ metadata, previous: { id: "a", pk: "p", n: 2, ...system } }, byPk);
      assert.deepEqual(
        [withImage.id, withImage.sourceKey, withImage.previous],
        ["a", ["p"], { id: "a", pk: "p", n: 2 }],
      );
      const bare = parseChange({ metadata }, byPk);
      assert.deepEqual(
        [bare.operation, bare.id, bare.sourceKey, bare.current],
        ["delete", "a", ["p"], undefined],
      );
      const nested = parseChange(
        { metadata: { ...metadata, partitionKey: { tenant: "t" } } },
        { paths: ["/owner/tenant"], kind: "Hash", version: 2 },
      );
      assert.deepEqual(nested.sourceKey, ["t"]);
    });

    it("refuses what it cannot apply, naming the item", function () {
      assert.throws(
        () => parseChange({ metadata: { operationType: "purge", lsn: 1, crts: 1 } }, byPk),
        /cannot apply \(operation type "purge"\)/,
      );
      assert.throws(() => parseChange({ id: "a" }, byPk), /no metadata.*"id":"a"/);
      assert.throws(
        () => parseChange({ metadata: { operationType: "delete", lsn: 1, crts: 1 } }, byPk),
        /a delete without the item's id/,
      );
    });
  });

  it("keeps only each item's last change in a page, in the order of those last changes", function () {
    const change = (operation: "create" | "replace" | "delete", id: string, pk: string, lsn: number) =>
      parseChange(
        operation === "delete"
          ? { metadata: { operationType: operation, lsn, crts: 1, id, partitionKey: { pk } } }
          : { current: { id, pk, lsn }, metadata: { operationType: operation, lsn, crts: 1 } },
        byPk,
      );
    const last = lastChangePerItem([
      change("create", "a", "p", 1),
      change("create", "b", "p", 2),
      change("replace", "a", "p", 3),
      change("create", "a", "q", 4), // the same id under another key is another item
      change("delete", "b", "p", 5),
      change("create", "b", "p", 6),
      change("delete", "a", "p", 7),
    ]);
    assert.deepEqual(
      last.map((c) => [c.operation, c.id, c.sourceKey[0], c.lsn]),
      [
        ["create", "a", "q", 4],
        ["create", "b", "p", 6],
        ["delete", "a", "p", 7],
      ],
    );
  });

  it("reads the partition's LSN from a session token, in each of the service's forms", function () {
    assert.equal(sessionTokenLsn("0:-1#120"), 120);
    assert.equal(sessionTokenLsn("0:1#130#1=20#2=21"), 130);
    assert.equal(sessionTokenLsn("0:-1#12,1:-1#15"), 15);
    assert.equal(sessionTokenLsn(undefined), undefined);
    assert.equal(sessionTokenLsn("garbage"), undefined);
  });

  it("finishes an online range only once it caught up after the cutover", function () {
    const range = { drained: true, caughtUpAt: "2026-12-01T10:00:05.000Z" } as RangeRecord;
    const job = (mode: "Offline" | "Online", completeRequestedAt?: string) =>
      ({ mode, online: { phase: "Tailing", appliedChanges: 0, completeRequestedAt } }) as JobRecord;
    assert.equal(rangeFinished({ ...range, drained: false }, job("Offline")), false);
    assert.equal(rangeFinished(range, job("Offline")), true);
    assert.equal(rangeFinished(range, job("Online")), false, "tailing goes on until complete");
    assert.equal(rangeFinished(range, job("Online", "2026-12-01T10:00:04.000Z")), true);
    assert.equal(rangeFinished(range, job("Online", "2026-12-01T10:00:06.000Z")), false);
  });
});
