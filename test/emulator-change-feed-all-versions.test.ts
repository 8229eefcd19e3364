import {
  ChangeFeedMode,
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  ChangeFeedStartFrom,
  type ChangeFeedPullModelIterator,
  type ErrorResponse,
  type Container,
  type Database,
  type OperationInput,
  PartitionKeyKind,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { until } from "./support/until";

/**
 * The all-versions-and-deletes change feed as an online copy reads it: capture a position (start from now)
 * per feed range, later replay every create, replace and delete in order from that continuation.
 */
interface Item {
  id: string;
  pk: string;
  version: number;
}

type Stored = Item & { _rid: string; _etag: string; _ts: number };

interface Change {
  current?: Stored;
  previous?: Stored;
  metadata: {
    operationType: "create" | "replace" | "delete";
    lsn: number;
    crts: number;
    previousImageLSN?: number;
    timeToLiveExpired?: boolean;
    id?: string;
    partitionKey?: Record<string, unknown>;
  };
}

type Iterator = ChangeFeedPullModelIterator<Change>;

const keyOf = (i: number) => `k${i % 20}`;

const retention = new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(10));

function allVersions(container: Container, start: ChangeFeedStartFrom, maxItemCount = 100): Iterator {
  return container.items.getChangeFeedIterator<Change>({
    changeFeedStartFrom: start,
    changeFeedMode: ChangeFeedMode.AllVersionsAndDeletes,
    maxItemCount,
  });
}

/** Reads pages until the feed has nothing new (304); returns the changes and where to continue. */
async function drain(feed: Iterator): Promise<{ changes: Change[]; continuation: string }> {
  const changes: Change[] = [];
  for (;;) {
    const page = await feed.readNext();
    if (page.statusCode === 304) return { changes, continuation: page.continuationToken };
    changes.push(...page.result);
  }
}

/** A position at the feed's current end, as an online copy captures it before it starts. */
async function positionNow(container: Container, range?: Parameters<typeof ChangeFeedStartFrom.Now>[0]) {
  return (await drain(allVersions(container, ChangeFeedStartFrom.Now(range)))).continuation;
}

/**
 * Drains from `continuation` until at least `count` changes arrived (an account may show writes a moment
 * late), then once more to see that nothing else follows.
 */
async function changesAfter(container: Container, continuation: string, count: number): Promise<Change[]> {
  const feed = allVersions(container, ChangeFeedStartFrom.Continuation(continuation));
  const changes: Change[] = [];
  await until(
    async () => {
      changes.push(...(await drain(feed)).changes);
      return changes.length;
    },
    (n) => n >= count,
    `${count} changes`,
    30_000,
  );
  changes.push(...(await drain(feed)).changes);
  return changes;
}

/** The item a change is about: as written, or as it was before a delete. */
function itemOf(change: Change): Stored {
  const item = change.current ?? change.previous;
  assert.ok(item, "every change carries the item");
  return item;
}

/** `operation:id:version` (`-` for a delete). */
function line(change: Change): string {
  return `${change.metadata.operationType}:${itemOf(change).id}:${change.current?.version ?? "-"}`;
}

/** The changes' lines grouped by partition key, in feed order. */
function historyByKey(changes: Change[]): Record<string, string[]> {
  const byKey: Record<string, string[]> = {};
  for (const change of changes) (byKey[itemOf(change).pk] ??= []).push(line(change));
  return byKey;
}

function assertLsnAscendingPerKey(changes: Change[]): void {
  const last = new Map<string, number>();
  for (const change of changes) {
    const pk = itemOf(change).pk;
    assert.ok(change.metadata.lsn > (last.get(pk) ?? -1), `LSNs ascend within partition key ${pk}`);
    last.set(pk, change.metadata.lsn);
  }
}

async function expectBadRequest(read: Promise<unknown>, pattern: RegExp, what: string): Promise<void> {
  await assert.rejects(
    read,
    (error: ErrorResponse) => {
      assert.equal(error.code, 400, `${what}: ${error.message}`);
      if (!usingExternalEndpoint) assert.match(error.message, pattern);
      return true;
    },
    what,
  );
}

describe("all versions and deletes change feed (wire format 2021-09-15)", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 2 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("avad") }));
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  async function createContainer(id: string, withPolicy = true, throughput?: number): Promise<Container> {
    const { container } = await database.containers.create({
      id,
      partitionKey: { paths: ["/pk"] },
      ...(withPolicy ? { changeFeedPolicy: retention } : {}),
      ...(throughput ? { throughput } : {}),
    });
    return container;
  }

  it("keeps the change feed policy on create and replace, and refuses a retention that is not whole minutes", async function () {
    const container = await createContainer("policy", false);
    const { resource: plain } = await container.read();
    assert.equal(plain?.changeFeedPolicy?.retentionDuration ?? 0, 0);
    const { resource: replaced } = await container.replace({
      id: "policy",
      partitionKey: { paths: ["/pk"] },
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(5)),
    });
    assert.equal(replaced?.changeFeedPolicy?.retentionDuration, 5);
    assert.equal((await container.read()).resource?.changeFeedPolicy?.retentionDuration, 5);
    for (const bad of [-1, 1.5, "10"]) {
      await expectBadRequest(
        database.containers.create({
          id: uniqueName("bad-policy"),
          partitionKey: { paths: ["/pk"] },
          changeFeedPolicy: { retentionDuration: bad } as unknown as ChangeFeedPolicy,
        }),
        new RegExp(`retentionDuration ${JSON.stringify(bad).replace(".", "\\.")} is invalid`),
        `retention ${JSON.stringify(bad)}`,
      );
    }
  });

  it("records each create, replace and delete once, in LSN order per partition key, with current, previous and metadata", async function () {
    const container = await createContainer("history");
    const start = await positionNow(container);
    const before = Math.floor(Date.now() / 1000);
    const a = { id: "a", pk: "k1" };
    await container.items.create({ ...a, version: 1 });
    await container.items.upsert({ ...a, version: 2 });
    await container.item("a", "k1").replace({ ...a, version: 3 });
    await container.item("a", "k1").patch([{ op: "incr", path: "/version", value: 1 }]);
    await container.item("a", "k1").delete();
    await container.items.upsert({ id: "b", pk: "k2", version: 1 });
    await container.item("b", "k2").delete();
    await container.items.create({ id: "a", pk: "k1", version: 5 });
    const after = Math.ceil(Date.now() / 1000);

    const changes = await changesAfter(container, start, 8);
    assert.equal(changes.length, 8, "each write appears once");
    assertLsnAscendingPerKey(changes);
    assert.deepEqual(
      historyByKey(changes),
      {
        k1: ["create:a:1", "replace:a:2", "replace:a:3", "replace:a:4", "delete:a:-", "create:a:5"],
        k2: ["create:b:1", "delete:b:-"],
      },
      "upsert of a new item is a create, of an existing one a replace; patch is a replace",
    );

    const k1 = changes.filter((c) => itemOf(c).pk === "k1");
    for (const change of changes) {
      assert.ok(
        change.metadata.crts >= before - 1 && change.metadata.crts <= after + 1,
        "crts is in seconds",
      );
    }
    const [created, , , patched, deleted, recreated] = k1;
    assert.equal(created.metadata.previousImageLSN, undefined, "a create has no previous image");
    assert.equal(created.previous, undefined);
    for (let i = 1; i <= 3; i++) {
      assert.equal(
        k1[i].metadata.previousImageLSN,
        k1[i - 1].metadata.lsn,
        "a replace names the version it replaced",
      );
      assert.equal(k1[i].previous, undefined, "a replace carries no previous image");
    }
    for (const change of [created, patched, recreated]) {
      const current = change.current as Stored;
      assert.ok(
        current._rid && current._etag && typeof current._ts === "number",
        "current has system properties",
      );
    }

    assert.equal(deleted.current, undefined, "a delete has no current image");
    assert.equal(deleted.metadata.previousImageLSN, patched.metadata.lsn);
    assert.equal(deleted.metadata.timeToLiveExpired, false);
    assert.equal(deleted.metadata.id, "a");
    assert.deepEqual(deleted.metadata.partitionKey, { pk: "k1" });
    assert.deepEqual(
      { id: deleted.previous?.id, pk: deleted.previous?.pk, version: deleted.previous?.version },
      { id: "a", pk: "k1", version: 4 },
      "the previous image is the item as it was",
    );
    assert.equal(deleted.previous?._etag, patched.current?._etag);
    assert.equal(recreated.metadata.previousImageLSN, undefined, "a create after a delete starts afresh");
  });

  it("names every level of a hierarchical partition key in a delete's metadata", async function () {
    const { container } = await database.containers.create({
      id: "hierarchical",
      partitionKey: { paths: ["/tenant", "/user/id"], kind: PartitionKeyKind.MultiHash, version: 2 },
      changeFeedPolicy: retention,
    });
    const start = await positionNow(container);
    await container.items.create({ id: "a", tenant: "t1", user: { id: 7 } });
    await container.item("a", ["t1", 7]).delete();
    const [, deleted] = await changesAfter(container, start, 2);
    assert.equal(deleted.metadata.operationType, "delete");
    assert.deepEqual(deleted.metadata.partitionKey, { tenant: "t1", id: 7 });
  });

  it("sends the partition's session token with every page, in both modes: how far the feed goes beyond a page", async function () {
    const container = await createContainer("session", true, 400);
    const start = await positionNow(container);
    for (let i = 0; i < 6; i++) await container.items.create({ id: `s-${i}`, pk: "k", version: 0 });
    const lsnOf = (token: unknown) => {
      assert.match(String(token), /^\d+:-?\d+#\d+/, "a session token <range>:<version>#<lsn>");
      return Number(String(token).split("#")[1]);
    };
    const first = await allVersions(container, ChangeFeedStartFrom.Continuation(start), 2).readNext();
    const lastOfPage = first.result[first.result.length - 1].metadata.lsn;
    const latest = lsnOf(first.headers["x-ms-session-token"]);
    assert.equal(latest - lastOfPage, 4, "four changes logged after the page's last");
    const incremental = container.items.getChangeFeedIterator({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
      maxItemCount: 2,
    });
    assert.equal(lsnOf((await incremental.readNext()).headers["x-ms-session-token"]), latest);
  });

  it("resumes exactly from each page's continuation: nothing lost, nothing twice", async function () {
    const container = await createContainer("resume");
    let continuation = await positionNow(container);
    const expected: string[] = [];
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) {
        const id = `item-${i}`;
        if (round < 3) {
          await container.items.upsert({ id, pk: `k${i % 2}`, version: round });
          expected.push(`${round === 0 ? "create" : "replace"}:${id}:${round}`);
        } else {
          await container.item(id, `k${i % 2}`).delete();
          expected.push(`delete:${id}:-`);
        }
      }
      // Three changes a page: every round ends with a page cut mid-way and a fresh iterator.
      await until(
        async () => {
          const page = await allVersions(
            container,
            ChangeFeedStartFrom.Continuation(continuation),
            3,
          ).readNext();
          continuation = page.continuationToken;
          seen.push(...page.result.map(line));
          return seen.length;
        },
        (n) => n >= expected.length,
        `round ${round}`,
        30_000,
      );
    }
    assert.equal(
      (await drain(allVersions(container, ChangeFeedStartFrom.Continuation(continuation)))).changes.length,
      0,
    );
    assert.deepEqual([...seen].sort(), [...expected].sort(), "every change once");
    for (let i = 0; i < 5; i++) {
      const mine = (lines: string[]) => lines.filter((text) => text.split(":")[1] === `item-${i}`);
      assert.deepEqual(mine(seen), mine(expected), `item-${i}'s changes in order`);
    }
  });

  it("starting from now sees only later changes, and changes made before the policy existed never appear", async function () {
    const container = await createContainer("late-policy", false);
    await container.items.create({ id: "early", pk: "k1", version: 1 });
    await expectBadRequest(
      allVersions(container, ChangeFeedStartFrom.Now()).readNext(),
      /needs a change feed policy/,
      "a container without a policy",
    );
    await container.replace({
      id: "late-policy",
      partitionKey: { paths: ["/pk"] },
      changeFeedPolicy: retention,
    });
    const start = await positionNow(container);
    await container.items.upsert({ id: "early", pk: "k1", version: 2 });
    await container.items.create({ id: "late", pk: "k2", version: 1 });
    const changes = await changesAfter(container, start, 2);
    assert.deepEqual(historyByKey(changes), {
      k1: ["replace:early:2"],
      k2: ["create:late:1"],
    });
  });

  it("refuses a continuation older than the retained log: the policy was turned off and on since", async function () {
    if (usingExternalEndpoint) this.skip(); // the service may not let a policy be turned off
    const container = await createContainer("retained");
    const start = await positionNow(container);
    await container.items.create({ id: "lost", pk: "k1", version: 1 });
    const off = { id: "retained", partitionKey: { paths: ["/pk"] } };
    await container.replace(off);
    await container.replace({ ...off, changeFeedPolicy: retention });
    await expectBadRequest(
      allVersions(container, ChangeFeedStartFrom.Continuation(start)).readNext(),
      /outside the container's change feed retention/,
      "a continuation from before the log restarted",
    );
    const restart = await positionNow(container);
    await container.items.upsert({ id: "lost", pk: "k1", version: 2 });
    assert.deepEqual(historyByKey(await changesAfter(container, restart, 1)), { k1: ["replace:lost:2"] });
  });

  it("answers 400 without a change feed policy, and from the beginning or a point in time", async function () {
    const plain = await createContainer("no-policy", false);
    await expectBadRequest(
      allVersions(plain, ChangeFeedStartFrom.Now()).readNext(),
      /needs a change feed policy/,
      "a container without a policy",
    );
    const container = await createContainer("starts");
    await container.items.create({ id: "x", pk: "k1", version: 1 });
    await expectBadRequest(
      allVersions(container, ChangeFeedStartFrom.Beginning()).readNext(),
      /You must read the change feed from within the retention period\. .*only from now or from a continuation/,
      "start from the beginning",
    );
    await expectBadRequest(
      allVersions(container, ChangeFeedStartFrom.Time(new Date(Date.now() - 60_000))).readNext(),
      /only from now or from a continuation/,
      "start from a point in time",
    );
  });

  it("read per feed range across several physical partitions, sees every change once", async function () {
    const container = await createContainer("ranges", true, 24000);
    const ranges = await container.getFeedRanges();
    if (!usingExternalEndpoint) assert.equal(ranges.length, 4);
    const starts = await Promise.all(ranges.map((range) => positionNow(container, range)));
    const items = Array.from({ length: 200 }, (_, i) => ({ id: `item-${i}`, pk: keyOf(i) }));
    await bulk(
      container,
      items.map((item) => ({ operationType: "Create", ...item })),
    );
    await bulk(
      container,
      items.slice(0, 50).map((item) => ({ operationType: "Upsert", ...item, version: 1 })),
    );
    await bulk(
      container,
      items.slice(150).map((item) => ({ operationType: "Delete", ...item })),
    );

    const changes = await until(
      async () => {
        const reads = await Promise.all(
          starts.map((start) => drain(allVersions(container, ChangeFeedStartFrom.Continuation(start)))),
        );
        return reads.flatMap((read) => read.changes);
      },
      (all) => all.length >= 300,
      "300 changes across the feed ranges",
      30_000,
    );
    assert.equal(changes.length, 300, "200 creates, 50 replaces and 50 deletes, each once");
    const lines = changes.map(line);
    assert.equal(new Set(lines).size, 300, "no change twice");
    assert.equal(lines.filter((l) => l.startsWith("create:")).length, 200);
    assert.equal(lines.filter((l) => l.startsWith("replace:")).length, 50);
    assert.equal(lines.filter((l) => l.startsWith("delete:")).length, 50);
    assertLsnAscendingPerKey(changes);
  });

  it("leaves the latest-version feed as it was: latest versions only, no deletes", async function () {
    const container = await createContainer("latest");
    await container.items.create({ id: "a", pk: "k1", version: 1 });
    await container.items.upsert({ id: "a", pk: "k1", version: 2 });
    await container.items.create({ id: "b", pk: "k1", version: 1 });
    await container.item("b", "k1").delete();
    const feed = container.items.getChangeFeedIterator<Stored & { _lsn: number }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });
    const items: (Stored & { _lsn: number })[] = [];
    await until(
      async () => {
        for (;;) {
          const page = await feed.readNext();
          if (page.statusCode === 304) return items.length;
          items.push(...page.result);
        }
      },
      (n) => n >= 1,
      "the latest version",
      30_000,
    );
    assert.deepEqual(
      items.map(({ id, pk, version }) => ({ id, pk, version })),
      [{ id: "a", pk: "k1", version: 2 }],
    );
    assert.ok(!("current" in items[0]) && !("metadata" in items[0]), "items are plain documents");
    assert.equal(typeof items[0]._lsn, "number");
  });

  it("keeps continuations working across a split: nothing lost, nothing twice, in order", async function () {
    if (usingExternalEndpoint) this.skip(); // splits are driven through the local emulator's admin control
    const container = await createContainer("split");
    const start = await positionNow(container);
    const items = Array.from({ length: 60 }, (_, i) => ({ id: `item-${i}`, pk: keyOf(i) }));
    await bulk(
      container,
      items.map((item) => ({ operationType: "Create", ...item })),
    );
    const firstPage = await allVersions(container, ChangeFeedStartFrom.Continuation(start), 25).readNext();
    assert.ok(firstPage.result.length > 0);

    const ranges = await container.getFeedRanges();
    await cosmos.admin!.splitPartition(database.id, container.id);
    assert.equal((await container.getFeedRanges()).length, ranges.length + 1);
    await bulk(
      container,
      items.map((item) => ({ operationType: "Upsert", ...item, version: 1 })),
    );
    await bulk(
      container,
      items.slice(0, 10).map((item) => ({ operationType: "Delete", ...item })),
    );

    const rest = await changesAfter(container, firstPage.continuationToken, 130 - firstPage.result.length);
    const all = [...firstPage.result, ...rest];
    assert.equal(all.length, 130, "60 creates, 60 replaces and 10 deletes, each once");
    assertLsnAscendingPerKey(all);
    const history = historyByKey(all);
    for (const [i, { id, pk }] of items.entries()) {
      const mine = (history[pk] ?? []).filter((text) => text.split(":")[1] === id);
      assert.deepEqual(mine, [`create:${id}:0`, `replace:${id}:1`, ...(i < 10 ? [`delete:${id}:-`] : [])]);
    }
    const fromStart = await changesAfter(container, start, 130);
    assert.equal(fromStart.length, 130, "the position taken before the split replays everything once");
  });

  it("records bulk creates, upserts and deletes", async function () {
    const container = await createContainer("bulk");
    const start = await positionNow(container);
    await bulk(container, [
      { operationType: "Create", id: "a", pk: "k1" },
      { operationType: "Upsert", id: "b", pk: "k2" },
    ]);
    await bulk(container, [
      { operationType: "Upsert", id: "a", pk: "k1", version: 1 },
      { operationType: "Delete", id: "b", pk: "k2" },
    ]);
    const changes = await changesAfter(container, start, 4);
    assert.deepEqual(historyByKey(changes), {
      k1: ["create:a:0", "replace:a:1"],
      k2: ["create:b:0", "delete:b:-"],
    });
  });
});

interface BulkStep {
  operationType: "Create" | "Upsert" | "Delete";
  id: string;
  pk: string;
  version?: number;
}

/** One `executeBulkOperations` call; every operation must succeed. */
async function bulk(container: Container, steps: BulkStep[]): Promise<void> {
  const operations = steps.map(({ operationType, id, pk, version }): OperationInput =>
    operationType === "Delete"
      ? { operationType, id, partitionKey: pk }
      : { operationType, partitionKey: pk, resourceBody: { id, pk, version: version ?? 0 } },
  );
  const results = await container.items.executeBulkOperations(operations);
  const failed = results.find((r) => !r.response || r.response.statusCode >= 300);
  assert.equal(
    failed,
    undefined,
    `every bulk operation succeeded: ${JSON.stringify(failed?.error?.message)}`,
  );
}
