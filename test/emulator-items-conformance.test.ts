import {
  BulkOperationType,
  ChangeFeedStartFrom,
  ConsistencyLevel,
  CosmosClient,
  ErrorResponse,
  PluginOn,
  type PluginConfig,
  type Container,
  type CosmosClientOptions,
  type CosmosHeaders,
  type Database,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Item-level protocol fidelity, as the official SDK sees it: which ids the service stores and serves by id,
 * conditional upserts, `Prefer: return=minimal`, and the session token and LSN headers reads and writes
 * answer with (the SDK's session container must accept them, or every later request would break).
 */
async function failure(promise: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await promise;
  } catch (error) {
    return error as ErrorResponse;
  }
  assert.fail("expected the request to fail");
}

/** `<range>:<version>#<global LSN>`, as one region of the service sends it. */
function parseSessionToken(headers: CosmosHeaders): { range: string; lsn: number } {
  const token = String(headers["x-ms-session-token"]);
  const match = /^(\d+):-1#(\d+)$/.exec(token);
  assert.ok(match, `session token '${token}' is not <range>:-1#<lsn>`);
  return { range: match[1], lsn: Number(match[2]) };
}

/**
 * A Session-consistency client that shows each request's headers to `onRequest` before sending it.
 * (`plugins` is an SDK option its published typings leave out.)
 */
function sessionClient(
  options: CosmosClientOptions,
  onRequest: (headers: CosmosHeaders) => void,
): CosmosClient {
  const plugins: PluginConfig[] = [
    {
      on: PluginOn.request,
      plugin: async (context, _diagnostics, next) => {
        onRequest(context.headers ?? {});
        return next(context);
      },
    },
  ];
  return new CosmosClient({
    ...options,
    consistencyLevel: ConsistencyLevel.Session,
    plugins,
  } as CosmosClientOptions);
}

describe("Cosmos DB item conformance: cosmos-emulator", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("items") }));
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  async function idsInQuery(container: Container, id: string): Promise<string[]> {
    const { resources } = await container.items
      .query<{ id: string }>({
        query: "SELECT c.id FROM c WHERE c.id = @id",
        parameters: [{ name: "@id", value: id }],
      })
      .fetchAll();
    return resources.map((r) => r.id);
  }

  async function newContainer(): Promise<Container> {
    const { container } = await database.containers.create({
      id: uniqueName("c"),
      partitionKey: { paths: ["/pk"] },
    });
    return container;
  }

  describe("item ids", function () {
    // As the official itemIdEncoding spec's routing-gateway (RGW_) cases: each is stored and served by id.
    const servedIds = [
      "This is a test",
      "   Test",
      "Disallowed?Chars",
      "a?b?c",
      "WithAllowedSpecial,=.:~+-@()^${}[]!_Chars",
      "WithUnicode鱀",
      "With\tTab",
      "100%",
    ];
    for (const id of servedIds) {
      it(`stores ${JSON.stringify(id)} and reads, replaces and deletes it by id`, async function () {
        const container = await newContainer();
        const created = await container.items.create({ id, pk: id, n: 1 });
        assert.equal(created.statusCode, 201);
        assert.equal(created.resource?.id, id);
        const read = await container.item(id, id).read();
        assert.equal(read.statusCode, 200);
        assert.equal(read.resource?.id, id);
        assert.equal(read.resource?.pk, id);
        const replaced = await container.item(id, id).replace({ id, pk: id, n: 2 });
        assert.equal(replaced.statusCode, 200);
        assert.equal(replaced.resource?.n, 2);
        assert.deepEqual(await idsInQuery(container, id), [id]);
        assert.equal((await container.item(id, id).delete()).statusCode, 204);
        assert.equal((await container.item(id, id).read()).statusCode, 404);
      });
    }

    // The routing gateway checks the signature of `…/docs/{id}` against the path decoded once more and
    // trimmed at the end, so these are stored by a create but answer 401 by id (the spec's RGW_ cases).
    const storedButNotServedIds = [
      "Test ",
      "Test   ",
      "IdEndingWithPercentEncodedWhitespace%20",
      "WithPercentEncodedSpecialChar%E9%B1%80",
    ];
    for (const id of storedButNotServedIds) {
      it(`stores ${JSON.stringify(id)} but answers 401 to reading, replacing or deleting it by id`, async function () {
        const container = await newContainer();
        const created = await container.items.create({ id, pk: id });
        assert.equal(created.statusCode, 201);
        assert.equal(created.resource?.id, id);
        assert.equal((await failure(container.item(id, id).read())).code, 401);
        assert.equal((await failure(container.item(id, id).replace({ id, pk: id, n: 2 }))).code, 401);
        assert.equal((await failure(container.item(id, id).delete())).code, 401);
        assert.deepEqual(await idsInQuery(container, id), [id], "the item is still there, unchanged");
      });
    }

    it("refuses ids with '/', '\\' or '#' with 400 naming the id", async function () {
      const container = await newContainer();
      for (const id of ["Disallowed/Chars", "Disallowed\\Chars", "Disallowed#Chars"]) {
        // The SDK refuses these itself on create; a bulk request carries them to the endpoint.
        const [result] = await container.items.executeBulkOperations([
          { operationType: BulkOperationType.Create, partitionKey: id, resourceBody: { id, pk: id } },
        ]);
        const status = result.response?.statusCode ?? result.error?.code;
        assert.equal(status, 400, `${JSON.stringify(id)} must be refused`);
        const message = result.error?.message ?? "";
        assert.match(message, /Id contains illegal chars/);
        assert.ok(message.includes(id), `the message names the id: ${message}`);
      }
      const { resources } = await container.items.readAll().fetchAll();
      assert.equal(resources.length, 0);
    });
  });

  describe("conditional writes", function () {
    it("answers 412 to an upsert whose If-Match is stale and leaves the item as it was", async function () {
      const container = await newContainer();
      const first = await container.items.create({ id: "a", pk: "p", n: 1 });
      const second = await container.item("a", "p").replace({ id: "a", pk: "p", n: 2 });
      const stale = await failure(
        container.items.upsert(
          { id: "a", pk: "p", n: 3 },
          { accessCondition: { type: "IfMatch", condition: first.etag } },
        ),
      );
      assert.equal(stale.code, 412);
      assert.equal((await container.item("a", "p").read()).resource?.n, 2);
      const current = await container.items.upsert(
        { id: "a", pk: "p", n: 4 },
        { accessCondition: { type: "IfMatch", condition: second.etag } },
      );
      assert.equal(current.statusCode, 200);
      assert.equal(current.resource?.n, 4);
    });

    it("creates an item an upsert with If-Match names when it does not exist, as the service does", async function () {
      const container = await newContainer();
      const created = await container.items.upsert(
        { id: "new", pk: "p" },
        { accessCondition: { type: "IfMatch", condition: '"00000000-0000-0000-0000-000000000000"' } },
      );
      assert.equal(created.statusCode, 201);
      assert.equal((await container.item("new", "p").read()).statusCode, 200);
    });

    it("answers 412 to a stale If-Match in a bulk upsert", async function () {
      const container = await newContainer();
      const first = await container.items.create({ id: "b", pk: "p", n: 1 });
      await container.item("b", "p").replace({ id: "b", pk: "p", n: 2 });
      const [result] = await container.items.executeBulkOperations([
        {
          operationType: BulkOperationType.Upsert,
          partitionKey: "p",
          resourceBody: { id: "b", pk: "p", n: 3 },
          ifMatch: first.etag,
        },
      ]);
      assert.equal(result.response?.statusCode ?? result.error?.code, 412);
      assert.equal((await container.item("b", "p").read()).resource?.n, 2);
    });
  });

  describe("Prefer: return=minimal", function () {
    it("leaves the item out of bulk write results (contentResponseOnWriteEnabled: false)", async function () {
      const container = await newContainer();
      const results = await container.items.executeBulkOperations(
        [
          { operationType: BulkOperationType.Create, partitionKey: "p", resourceBody: { id: "1", pk: "p" } },
          { operationType: BulkOperationType.Upsert, partitionKey: "p", resourceBody: { id: "2", pk: "p" } },
        ],
        { contentResponseOnWriteEnabled: false },
      );
      for (const result of results) {
        assert.equal(result.response?.statusCode, 201);
        assert.equal(result.response?.resourceBody, undefined);
        assert.ok(result.response?.eTag, "the etag still comes back");
      }
      assert.equal((await container.item("2", "p").read()).statusCode, 200);
    });

    it("leaves the item out of bulk writes but not out of bulk reads", async function () {
      const container = await newContainer();
      await container.items.create({ id: "r", pk: "p", n: 7 });
      const [write, read] = await container.items.executeBulkOperations(
        [
          { operationType: BulkOperationType.Create, partitionKey: "p", resourceBody: { id: "w", pk: "p" } },
          { operationType: BulkOperationType.Read, partitionKey: "p", id: "r" },
        ],
        { contentResponseOnWriteEnabled: false },
      );
      assert.equal(write.response?.statusCode, 201);
      assert.equal(write.response?.resourceBody, undefined);
      assert.equal(read.response?.statusCode, 200);
      assert.equal(read.response?.resourceBody?.n, 7);
    });

    it("leaves the item out of a transactional batch's writes", async function () {
      const container = await newContainer();
      const response = await container.items.batch(
        [
          { operationType: BulkOperationType.Create, resourceBody: { id: "w", pk: "p" } },
          { operationType: BulkOperationType.Upsert, resourceBody: { id: "u", pk: "p" } },
        ],
        "p",
        { contentResponseOnWriteEnabled: false },
      );
      for (const result of response.result ?? []) {
        assert.equal(result.statusCode, 201);
        assert.equal(result.resourceBody, undefined);
      }
      assert.equal((await container.item("u", "p").read()).statusCode, 200);
    });

    it("answers a single replace and patch without a body, with their etags", async function () {
      const container = await newContainer();
      await container.items.create({ id: "x", pk: "p", n: 1 });
      const minimal = { initialHeaders: { Prefer: "return=minimal" } };
      const replaced = await container.item("x", "p").replace({ id: "x", pk: "p", n: 2 }, minimal);
      assert.equal(replaced.statusCode, 200);
      assert.ok(replaced.resource == null, "no item in the response");
      assert.ok(replaced.etag);
      const patched = await container.item("x", "p").patch([{ op: "incr", path: "/n", value: 5 }], minimal);
      assert.equal(patched.statusCode, 200);
      assert.ok(patched.resource == null, "no item in the response");
      const read = await container.item("x", "p").read();
      assert.equal(read.resource?.n, 7);
      assert.equal(read.etag, patched.etag);
    });
  });

  describe("session tokens and LSNs", function () {
    it("answers every write and read with the range's session token and LSNs", async function () {
      const container = await newContainer();
      const created = await container.items.create({ id: "1", pk: "p" });
      const afterCreate = parseSessionToken(created.headers);
      assert.equal(created.headers["lsn"], String(afterCreate.lsn));
      assert.equal(created.headers["x-ms-item-lsn"], String(afterCreate.lsn));
      assert.equal(created.headers["x-ms-global-committed-lsn"], String(afterCreate.lsn));
      assert.ok(created.headers["x-ms-content-path"], "the owner container's _rid");

      const replaced = await container.item("1", "p").replace({ id: "1", pk: "p", n: 1 });
      const afterReplace = parseSessionToken(replaced.headers);
      assert.equal(afterReplace.range, afterCreate.range, "one logical partition, one range");
      assert.equal(afterReplace.lsn, afterCreate.lsn + 1);

      const read = await container.item("1", "p").read();
      assert.deepEqual(parseSessionToken(read.headers), afterReplace);
      assert.equal(read.headers["x-ms-item-lsn"], String(afterReplace.lsn));

      const deleted = await container.item("1", "p").delete();
      assert.equal(parseSessionToken(deleted.headers).range, afterCreate.range);
    });

    it("names the partition key range that served each write and read", async function () {
      const container = await newContainer();
      const { resources: ranges } = await container.readPartitionKeyRanges().fetchAll();
      const rangeIds = new Set(ranges.map((range) => range.id));
      const served = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const created = await container.items.create({ id: `r${i}`, pk: `p${i}` });
        const rangeId = String(created.headers["x-ms-documentdb-partitionkeyrangeid"]);
        assert.ok(
          rangeIds.has(rangeId),
          `range '${rangeId}' is one of the container's ${[...rangeIds].join(", ")}`,
        );
        assert.equal(rangeId, parseSessionToken(created.headers).range, "the session token's range");
        const read = await container.item(`r${i}`, `p${i}`).read();
        assert.equal(read.headers["x-ms-documentdb-partitionkeyrangeid"], rangeId);
        served.add(rangeId);
      }
      assert.ok(served.size > 1, "items in twelve logical partitions land in more than one range");
    });

    it("keeps the SDK's session container working: reads after writes with Session consistency", async function () {
      const sent: string[] = [];
      const client = sessionClient(cosmos.clientOptions, (headers) => {
        const token = headers["x-ms-session-token"];
        if (typeof token === "string") sent.push(token);
      });
      try {
        const container = client.database(database.id).container((await newContainer()).id);
        // Items in several logical partitions land in several ranges: the SDK merges one token per range.
        const writes = [];
        for (let i = 0; i < 12; i++) writes.push(await container.items.create({ id: `i${i}`, pk: `p${i}` }));
        const ranges = new Set(writes.map((w) => parseSessionToken(w.headers).range));
        assert.ok(ranges.size > 1, "the items span more than one range");

        const read = await container.item("i0", "p0").read();
        assert.equal(read.statusCode, 200);
        const lastSent = sent.at(-1) ?? "";
        for (const write of writes.slice(-4)) {
          const { range, lsn } = parseSessionToken(write.headers);
          assert.ok(
            lastSent.split(",").some((part) => {
              const [sentRange, vector] = part.split(":");
              return sentRange === range && Number(vector.split("#")[1]) >= lsn;
            }),
            `the read carried range ${range}'s token up to LSN ${lsn}: ${lastSent}`,
          );
        }
        const { resources } = await container.items.query("SELECT * FROM c").fetchAll();
        assert.equal(resources.length, 12);
        await container.item("i1", "p1").replace({ id: "i1", pk: "p1", n: 1 });
        assert.equal((await container.item("i1", "p1").read()).resource?.n, 1);
      } finally {
        client.dispose();
      }
    });

    it("keeps session tokens for containers whose names hold spaces and non-ASCII characters", async function () {
      const sent: unknown[] = [];
      const client = sessionClient(cosmos.clientOptions, (headers) =>
        sent.push(headers["x-ms-session-token"]),
      );
      try {
        const { database: spaced } = await client.databases.create({ id: uniqueName("session 中文 db") });
        const { container } = await spaced.containers.create({
          id: "sample 中文 container",
          partitionKey: { paths: ["/pk"] },
        });
        const created = await container.items.create({ id: "1", pk: "p" });
        const read = await container.item("1", "p").read();
        assert.equal(read.statusCode, 200);
        assert.equal(sent.at(-1), created.headers["x-ms-session-token"]);
        await spaced.delete();
      } finally {
        client.dispose();
      }
    });

    it("preserves a token as the official session test expects: the write's token is what later reads send", async function () {
      let lastRequestToken: unknown;
      const client = sessionClient(cosmos.clientOptions, (headers) => {
        lastRequestToken = headers["x-ms-session-token"];
      });
      try {
        const container = client.database(database.id).container((await newContainer()).id);
        const created = await container.items.create({ id: "1", pk: "1" });
        await container.item("1", "1").read();
        await container.item("1", "1").read();
        assert.equal(lastRequestToken, created.headers["x-ms-session-token"]);
      } finally {
        client.dispose();
      }
    });

    it("names the range of each change-feed page in x-ms-documentdb-partitionkeyrangeid", async function () {
      const container = await newContainer();
      const created = await container.items.create({ id: "cf", pk: "feed" });
      const { range } = parseSessionToken(created.headers);
      const iterator = container.items.getChangeFeedIterator({
        changeFeedStartFrom: ChangeFeedStartFrom.Beginning("feed"),
      });
      const page = await iterator.readNext();
      assert.equal(page.result.length, 1);
      assert.equal(page.headers["x-ms-documentdb-partitionkeyrangeid"], range);
      assert.equal(parseSessionToken(page.headers).range, range);
    });
  });
});
