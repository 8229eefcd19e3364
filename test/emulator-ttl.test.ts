import {
  ChangeFeedMode,
  ChangeFeedPolicy,
  ChangeFeedRetentionTimeSpan,
  ChangeFeedStartFrom,
  type Container,
  type Database,
  type ErrorResponse,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { expectFailure } from "./support/expect-failure";
import { until } from "./support/until";

/**
 * Time to live as the service does it: a container's `defaultTtl` (absent: off, -1: on without a default,
 * n: seconds) and an item's `ttl` (-1: never, n: seconds, honoured only when the container has TTL on).
 * An expired item is gone from reads, queries, read-all and the latest-version change feed; its purge is a
 * delete in the all-versions log. Expiry runs on the wall clock, so each test waits for it, generously.
 */
interface Item {
  id: string;
  pk: string;
}

const expiryTimeoutMs = 60_000;

async function isGone(container: Container, id: string): Promise<boolean> {
  return (await container.item(id, id).read()).statusCode === 404;
}

async function waitUntilGone(container: Container, id: string): Promise<void> {
  await until(
    () => isGone(container, id),
    (gone) => gone,
    `item ${id} to expire`,
    expiryTimeoutMs,
  );
}

async function ids(container: Container, query: string): Promise<string[]> {
  const { resources } = await container.items.query<string>(query).fetchAll();
  return [...resources].sort();
}

async function readAllIds(container: Container): Promise<string[]> {
  const { resources } = await container.items.readAll<Item>().fetchAll();
  return resources.map((item) => item.id).sort();
}

async function changeFeedIds(container: Container): Promise<string[]> {
  const feed = container.items.getChangeFeedIterator<Item>({
    changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
  });
  const seen: string[] = [];
  for (;;) {
    const page = await feed.readNext();
    if (page.statusCode === 304) return seen.sort();
    seen.push(...page.result.map((item) => item.id));
  }
}

describe("time to live (cosmos-emulator)", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async () => {
    cosmos = await openEndpoint({ http: true });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("ttl") }));
  });

  after(async () => {
    await database?.delete();
    await cosmos?.stop();
  });

  async function createContainer(id: string, settings: Record<string, unknown> = {}): Promise<Container> {
    const { container } = await database.containers.create({
      id,
      partitionKey: { paths: ["/pk"] },
      ...settings,
    });
    return container;
  }

  const create = (container: Container, id: string, extra: Record<string, unknown> = {}) =>
    container.items.create({ id, pk: id, ...extra });

  it("refuses a defaultTtl of 0, -10, null or 1.5 and keeps -1 and positive seconds", async () => {
    for (const defaultTtl of [0, -10, null, 1.5]) {
      const error = (await expectFailure(
        database.containers.create({ id: uniqueName("bad-ttl"), defaultTtl: defaultTtl as number }),
      )) as ErrorResponse;
      assert.equal(error.code, 400, `defaultTtl ${defaultTtl}`);
      assert.match(error.message, new RegExp(`'defaultTtl' value ${String(defaultTtl)} is invalid`));
    }
    for (const defaultTtl of [-1, 5]) {
      const { resource } = await database.containers.create({ id: uniqueName("ttl"), defaultTtl });
      assert.equal(resource?.defaultTtl, defaultTtl);
    }
  });

  it("refuses an item ttl of null, 0, -10, 1.5 or '5' whether or not TTL is on, in bulk too", async () => {
    const on = await createContainer("validate-on", { defaultTtl: -1 });
    const off = await createContainer("validate-off");
    for (const container of [on, off]) {
      for (const ttl of [null, 0, -10, 1.5, "5"]) {
        const error = (await expectFailure(create(container, uniqueName("bad"), { ttl }))) as ErrorResponse;
        assert.equal(error.code, 400, `ttl ${JSON.stringify(ttl)} in ${container.id}`);
        assert.ok(
          error.message.includes(`'ttl' value ${JSON.stringify(ttl)} is invalid`),
          `the message names the value: ${error.message}`,
        );
      }
    }
    // A bulk request fails only the operation with the bad ttl.
    const results = await off.items.bulk([
      { operationType: "Create", resourceBody: { id: "bad-ttl", pk: "p", ttl: -10 } },
      { operationType: "Create", resourceBody: { id: "fine", pk: "p", ttl: 5 } },
    ]);
    assert.deepEqual(
      results.map((result) => result.statusCode),
      [400, 201],
    );
  });

  it("expires an item ttl seconds after its write: gone from reads, queries, read-all and the change feed", async () => {
    const container = await createContainer("item-ttl", { defaultTtl: -1 });
    await create(container, "short", { ttl: 1 });
    await create(container, "never", { ttl: -1 });
    await create(container, "inherits");
    await waitUntilGone(container, "short");

    const remaining = ["inherits", "never"];
    assert.deepEqual(await ids(container, "SELECT VALUE c.id FROM c"), remaining);
    assert.deepEqual(await ids(container, "SELECT VALUE COUNT(1) FROM c"), [remaining.length]);
    assert.deepEqual(await readAllIds(container), remaining);
    assert.deepEqual(await changeFeedIds(container), remaining);

    const { statusCode } = await create(container, "short", { ttl: 1 });
    assert.equal(statusCode, 201, "an expired item's id is free again");
  });

  it("expires items without their own ttl by the container's defaultTtl, and ttl -1 overrides it", async () => {
    const container = await createContainer("default-ttl", { defaultTtl: 1 });
    await create(container, "inherits");
    await create(container, "never", { ttl: -1 });
    await waitUntilGone(container, "inherits");
    assert.equal(await isGone(container, "never"), false);
  });

  it("applies a replaced defaultTtl to items already stored, and turning TTL off keeps every item", async () => {
    const container = await createContainer("replaced-ttl", { defaultTtl: -1 });
    await create(container, "existing");
    const { resource: definition } = await container.read();
    await container.replace({ ...definition!, defaultTtl: 1 });
    await waitUntilGone(container, "existing");

    // Turned off, an item's ttl means nothing: it outlives a twin with the same ttl in a TTL container.
    await container.replace({ id: definition!.id, partitionKey: definition!.partitionKey });
    const twin = await createContainer("twin-ttl", { defaultTtl: -1 });
    await create(container, "kept", { ttl: 1 });
    await create(twin, "kept", { ttl: 1 });
    await waitUntilGone(twin, "kept");
    assert.equal(await isGone(container, "kept"), false);
  });

  it("logs a purge as a delete with timeToLiveExpired in the all-versions change feed", async () => {
    const container = await createContainer("ttl-log", {
      defaultTtl: -1,
      changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(10)),
    });
    const feed = container.items.getChangeFeedIterator<{
      metadata: { operationType: string; timeToLiveExpired?: boolean; id?: string };
    }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Now(),
      changeFeedMode: ChangeFeedMode.AllVersionsAndDeletes,
    });
    await feed.readNext(); // takes the position "now"
    await create(container, "purged", { ttl: 1 });
    const seen: { operationType: string; timeToLiveExpired?: boolean; id?: string }[] = [];
    await until(
      async () => {
        const page = await feed.readNext();
        if (page.statusCode !== 304) seen.push(...page.result.map((change) => change.metadata));
        return seen;
      },
      (changes) => changes.some((change) => change.operationType === "delete"),
      "the TTL purge to appear in the all-versions change feed",
      expiryTimeoutMs,
    );
    assert.deepEqual(
      seen.map((change) => [change.operationType, change.timeToLiveExpired ?? false]),
      [
        ["create", false],
        ["delete", true],
      ],
    );
    assert.equal(seen[1].id, "purged");
  });
});
