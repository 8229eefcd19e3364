import { BulkOperationType, type Container, type Database, ErrorResponse } from "@azure/cosmos";
import assert from "node:assert/strict";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";

/**
 * Conformance of a Cosmos DB endpoint as the official SDK sees it. Runs against cosmos-emulator over HTTPS
 * and plain HTTP, or once against COSMOS_ENDPOINT, so the emulator's answers can be checked against Azure's.
 */
const transports = usingExternalEndpoint
  ? [{ name: "COSMOS_ENDPOINT", http: false }]
  : [
      { name: "cosmos-emulator over HTTPS", http: false },
      { name: "cosmos-emulator over HTTP", http: true },
    ];

async function failure(promise: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await promise;
  } catch (error) {
    return error as ErrorResponse;
  }
  assert.fail("expected the request to fail");
}

for (const transport of transports) {
  describe(`Cosmos DB conformance: ${transport.name}`, function () {
    let cosmos: TestEndpoint;
    let database: Database;

    before(async function () {
      cosmos = await openEndpoint({ http: transport.http });
      ({ database } = await cosmos.client.databases.create({ id: uniqueName("conformance") }));
    });

    after(async function () {
      await database?.delete().catch(() => undefined);
      await cosmos?.stop();
    });

    async function newContainer(partitionKeyPath = "/pk", extra: object = {}): Promise<Container> {
      const { container } = await database.containers.create({
        id: uniqueName("c"),
        partitionKey: { paths: [partitionKeyPath] },
        throughput: 10000,
        ...extra,
      });
      return container;
    }

    it("advertises the account's write and read locations", async function () {
      const { resource } = await cosmos.client.getDatabaseAccount();
      assert.ok(resource);
      assert.ok(resource.writableLocations.length >= 1);
      assert.ok(resource.writableLocations[0].name.length > 0);
      assert.ok(resource.readableLocations.length >= 1);
    });

    it("creates, reads, lists and deletes databases with the service's status codes", async function () {
      const id = uniqueName("db");
      const created = await cosmos.client.databases.create({ id });
      assert.equal(created.statusCode, 201);
      assert.equal(created.resource?.id, id);
      assert.ok(created.resource?._rid);
      const { resources } = await cosmos.client.databases.readAll().fetchAll();
      assert.ok(resources.some((d) => d.id === id));
      const conflict = await failure(cosmos.client.databases.create({ id }));
      assert.equal(conflict.code, 409);
      await cosmos.client.database(id).delete();
      const missing = await failure(cosmos.client.database(id).read());
      assert.equal(missing.code, 404);
    });

    it("keeps a container's partition key, unique keys and indexing policy as given", async function () {
      const indexingPolicy = {
        indexingMode: "consistent" as const,
        automatic: true,
        includedPaths: [{ path: "/customer/?" }],
        excludedPaths: [{ path: "/*" }, { path: '/"_etag"/?' }],
      };
      const { container } = await database.containers.create({
        id: uniqueName("policies"),
        partitionKey: { paths: ["/tenant", "/user"], kind: "MultiHash" as never, version: 2 },
        uniqueKeyPolicy: { uniqueKeys: [{ paths: ["/email"] }] },
        indexingPolicy,
        throughput: 400,
      });
      const { resource } = await container.read();
      assert.deepEqual(resource?.partitionKey?.paths, ["/tenant", "/user"]);
      assert.equal(resource?.partitionKey?.kind, "MultiHash");
      assert.deepEqual(resource?.uniqueKeyPolicy?.uniqueKeys, [{ paths: ["/email"] }]);
      assert.deepEqual(resource?.indexingPolicy?.includedPaths, indexingPolicy.includedPaths);
      await container.items.create({ id: "1", tenant: "t", user: "u", email: "a@x" });
      const duplicate = await failure(
        container.items.create({ id: "2", tenant: "t", user: "u", email: "a@x" }),
      );
      assert.equal(duplicate.code, 409);
      const other = await container.items.create({ id: "2", tenant: "t", user: "v", email: "a@x" });
      assert.equal(other.statusCode, 201, "unique keys are scoped to a logical partition");
      const read = await container.item("1", ["t", "u"]).read();
      assert.equal(read.resource?.email, "a@x");
    });

    it("does item create, read, replace, upsert, patch and delete with etags and conflicts", async function () {
      const container = await newContainer();
      const created = await container.items.create({ id: "a", pk: "p", n: 1 });
      assert.equal(created.statusCode, 201);
      assert.ok(created.resource?._etag && created.resource._ts && created.resource._rid);
      assert.equal((await failure(container.items.create({ id: "a", pk: "p" }))).code, 409);
      const read = await container.item("a", "p").read();
      assert.equal(read.statusCode, 200);
      assert.equal(read.resource.n, 1);
      const replaced = await container.item("a", "p").replace({ id: "a", pk: "p", n: 2 });
      assert.notEqual(replaced.etag, created.etag);
      const stale = await failure(
        container
          .item("a", "p")
          .replace(
            { id: "a", pk: "p", n: 3 },
            { accessCondition: { type: "IfMatch", condition: created.etag } },
          ),
      );
      assert.equal(stale.code, 412);
      const upserted = await container.items.upsert({ id: "a", pk: "p", n: 4 });
      assert.equal(upserted.statusCode, 200);
      assert.equal((await container.items.upsert({ id: "b", pk: "p" })).statusCode, 201);
      const patched = await container.item("a", "p").patch([
        { op: "incr", path: "/n", value: 10 },
        { op: "add", path: "/tags", value: ["x"] },
      ]);
      assert.equal(patched.resource?.n, 14);
      assert.deepEqual(patched.resource?.tags, ["x"]);
      assert.equal((await container.item("a", "p").delete()).statusCode, 204);
      const gone = await container.item("a", "p").read();
      assert.equal(gone.statusCode, 404);
      const wrongPartition = await container.item("b", "other").read();
      assert.equal(wrongPartition.statusCode, 404);
    });

    it("answers 404 with substatus 1003 'Owner resource does not exist' for items of a missing container", async function () {
      const missing = database.container(uniqueName("missing"));
      const read = await missing.item("x", "y").read();
      assert.equal(read.statusCode, 404);
      assert.equal(read.substatus, 1003);
      const bulk = await failure(
        cosmos.client
          .database(uniqueName("no-db"))
          .container("c")
          .items.batch(
            [{ operationType: BulkOperationType.Create, resourceBody: { id: "1", pk: "p" } }],
            "p",
          ),
      );
      assert.match(bulk.message, /Owner resource does not exist/);
    });

    it("runs bulk operations and atomic transactional batches", async function () {
      const container = await newContainer();
      const operations = Array.from({ length: 250 }, (_, i) => ({
        operationType: BulkOperationType.Upsert,
        partitionKey: `p${i % 13}`,
        resourceBody: { id: `i${i}`, pk: `p${i % 13}`, i },
      }));
      const results = await container.items.executeBulkOperations(operations);
      assert.equal(results.length, 250);
      assert.ok(results.every((r) => r.response && r.response.statusCode < 300));
      const { resources } = await container.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll();
      assert.deepEqual(resources, [250]);

      const ok = await container.items.batch(
        [
          { operationType: BulkOperationType.Create, resourceBody: { id: "t1", pk: "tx" } },
          { operationType: BulkOperationType.Create, resourceBody: { id: "t2", pk: "tx" } },
        ],
        "tx",
      );
      assert.equal(ok.result?.length, 2);
      assert.ok(ok.result?.every((r) => r.statusCode === 201));
      const failed = await container.items.batch(
        [
          { operationType: BulkOperationType.Create, resourceBody: { id: "t3", pk: "tx" } },
          { operationType: BulkOperationType.Create, resourceBody: { id: "t1", pk: "tx" } },
        ],
        "tx",
      );
      assert.equal(failed.result?.[1].statusCode, 409);
      assert.equal(failed.result?.[0].statusCode, 424);
      assert.equal(
        (await container.item("t3", "tx").read()).statusCode,
        404,
        "a failed batch writes nothing",
      );
    });

    it("answers queries: SELECT *, VALUE COUNT(1), WHERE, ORDER BY and continuation paging", async function () {
      const container = await newContainer();
      await container.items.executeBulkOperations(
        Array.from({ length: 35 }, (_, i) => ({
          operationType: BulkOperationType.Create,
          partitionKey: `p${i % 5}`,
          resourceBody: { id: `q${i}`, pk: `p${i % 5}`, rank: 35 - i, even: i % 2 === 0 },
        })),
      );
      const all = await container.items.query("SELECT * FROM c").fetchAll();
      assert.equal(all.resources.length, 35);
      const count = await container.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll();
      assert.deepEqual(count.resources, [35]);
      const filtered = await container.items
        .query({
          query: "SELECT c.id FROM c WHERE c.even = @even AND c.rank > 10",
          parameters: [{ name: "@even", value: true }],
        })
        .fetchAll();
      assert.ok(
        filtered.resources.length > 0 && filtered.resources.every((r) => Object.keys(r).join() === "id"),
      );
      const ordered = await container.items.query("SELECT c.rank FROM c ORDER BY c.rank ASC").fetchAll();
      assert.deepEqual(
        ordered.resources.map((r) => r.rank),
        Array.from({ length: 35 }, (_, i) => i + 1),
      );
      // Across partitions a page never holds more than asked, and never items of two physical partitions,
      // so how the pages split depends on the container's partitions; every item still comes once.
      const pages: string[][] = [];
      const iterator = container.items.query<{ id: string }>("SELECT * FROM c", { maxItemCount: 10 });
      while (iterator.hasMoreResults()) {
        const page = await iterator.fetchNext();
        if (page.resources.length > 0) pages.push(page.resources.map((r) => r.id));
      }
      assert.ok(pages.length >= 4 && pages.every((page) => page.length <= 10), JSON.stringify(pages));
      assert.deepEqual(pages.flat().sort(), all.resources.map((r) => r.id).sort());
      // Within one partition key the pages are full until the last.
      const inPartition: number[] = [];
      const partitionIterator = container.items.query("SELECT * FROM c", {
        partitionKey: "p1",
        maxItemCount: 3,
      });
      while (partitionIterator.hasMoreResults()) {
        const page = await partitionIterator.fetchNext();
        if (page.resources.length > 0) inPartition.push(page.resources.length);
      }
      assert.deepEqual(inPartition, [3, 3, 1]);
    });

    it("reads and replaces container and shared-database throughput, manual and autoscale", async function () {
      const manual = await newContainer();
      const { resource: offer } = await manual.readOffer();
      assert.equal(offer?.content?.offerThroughput, 10000);
      const { container: autoscaled } = await database.containers.create({
        id: uniqueName("auto"),
        partitionKey: { paths: ["/pk"] },
        maxThroughput: 4000,
      });
      const { resource: autoscaleOffer } = await autoscaled.readOffer();
      assert.equal(autoscaleOffer?.content?.offerAutopilotSettings?.maxThroughput, 4000);
      const { database: shared } = await cosmos.client.databases.create({
        id: uniqueName("shared"),
        throughput: 1000,
      });
      try {
        const { resource: sharedOffer } = await shared.readOffer();
        assert.equal(sharedOffer?.content?.offerThroughput, 1000);
        const { container: inShared } = await shared.containers.create({
          id: "c",
          partitionKey: { paths: ["/pk"] },
        });
        const { resource: ownOffer } = await inShared.readOffer();
        assert.equal(
          ownOffer,
          undefined,
          "a container in a shared-throughput database has no offer of its own",
        );
        assert.ok(offer);
        const replaced = await cosmos.client
          .offer(offer.id)
          .replace({ ...offer, content: { ...offer.content, offerThroughput: 12000 } });
        assert.equal(replaced.resource?.content?.offerThroughput, 12000);
        const bad = await failure(
          cosmos.client
            .offer(offer.id)
            .replace({ ...offer, content: { ...offer.content, offerThroughput: 150 } }),
        );
        assert.equal(bad.code, 400);
      } finally {
        await shared.delete();
      }
    });

    it("lists partition key ranges that tile the whole hash space", async function () {
      const container = await newContainer();
      const { resources } = await container.readPartitionKeyRanges().fetchAll();
      assert.ok(resources.length >= 1);
      assert.equal(resources[0].minInclusive, "");
      assert.equal(resources[resources.length - 1].maxExclusive, "FF");
      for (let i = 1; i < resources.length; i++) {
        assert.equal(resources[i].minInclusive, resources[i - 1].maxExclusive);
      }
    });

    it("refuses a wrong key with 401 and touches nothing", async function () {
      const { CosmosClient } = await import("@azure/cosmos");
      const wrongKey = Buffer.from("not the account key").toString("base64");
      const client = new CosmosClient({ ...cosmos.clientOptions, key: wrongKey });
      const error = await failure(client.databases.create({ id: uniqueName("wrong-key") }));
      assert.equal(error.code, 401);
      client.dispose();
    });

    it("rejects malformed ids and oversized items with 400/413", async function () {
      const container = await newContainer();
      assert.match((await failure(container.items.create({ id: "a/b", pk: "p" }))).message, /illegal/);
      const [result] = await container.items.executeBulkOperations([
        { operationType: BulkOperationType.Create, partitionKey: "p", resourceBody: { id: "a#b", pk: "p" } },
      ]);
      assert.equal(
        result.response?.statusCode ?? result.error?.code,
        400,
        "the service refuses ids with '#'",
      );
      const huge = "x".repeat(2 * 1024 * 1024 + 10);
      assert.equal((await failure(container.items.create({ id: "big", pk: "p", huge }))).code, 413);
    });
  });
}
