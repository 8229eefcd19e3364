import {
  type Container,
  type Database,
  type ErrorResponse,
  TriggerOperation,
  TriggerType,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Server-side programming as the official SDK's sproc, trigger, udf and conflict specs drive it: script CRUD,
 * stored procedures run in one logical partition and all or nothing, pre- and post-triggers around item
 * writes, `udf.` calls in queries, and the (always empty) conflicts feed of a single-region account.
 */

// The scripts below run inside the emulator, where the service's server-side API defines getContext.
declare const getContext: () => {
  getCollection(): {
    getSelfLink(): string;
    createDocument(link: string, doc: unknown, options?: unknown, callback?: unknown): boolean;
    readDocument(link: string, options?: unknown, callback?: unknown): boolean;
    queryDocuments(link: string, query: string, options: unknown, callback: unknown): boolean;
    getAltLink(): string;
  };
  getRequest(): { getBody(): { id: string }; setBody(body: unknown): void };
  getResponse(): {
    getBody(): unknown;
    setBody(body: unknown): void;
    appendValue(key: string, value: unknown): void;
  };
};

async function failure(promise: Promise<unknown>): Promise<ErrorResponse> {
  try {
    await promise;
  } catch (error) {
    return error as ErrorResponse;
  }
  throw new Error("expected the request to fail");
}

describe("cosmos-emulator server-side scripts", function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let container: Container;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("scripts") }));
  });

  beforeEach(async function () {
    ({ container } = await database.containers.create({
      id: uniqueName("c"),
      partitionKey: { paths: ["/key"], version: 2 },
    }));
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  async function ids(key: string): Promise<string[]> {
    const { resources } = await container.items
      .query<string>("SELECT VALUE c.id FROM c", { partitionKey: key })
      .fetchAll();
    return resources.sort();
  }

  describe("stored procedures", function () {
    it("are created, listed, queried, replaced, read and deleted, with system properties", async function () {
      const { resource: created } = await container.scripts.storedProcedures.create({
        id: "sp",
        body: "function () { const x = 10; }",
      });
      assert.equal(created?.body, "function () { const x = 10; }");
      assert.match(created?._self ?? "", /\/sprocs\/.+\/$/);
      assert.ok(created?._etag && created._rid && created._ts);

      const duplicate = await failure(
        container.scripts.storedProcedures.create({ id: "sp", body: "function () {}" }),
      );
      assert.equal(duplicate.code, 409);

      const { resources: listed } = await container.scripts.storedProcedures.readAll().fetchAll();
      assert.deepEqual(
        listed.map((s) => s.id),
        ["sp"],
      );
      const { resources: queried } = await container.scripts.storedProcedures
        .query({ query: "SELECT * FROM r WHERE r.id = @id", parameters: [{ name: "@id", value: "sp" }] })
        .fetchAll();
      assert.equal(queried.length, 1);

      const { resource: replaced } = await container.scripts.storedProcedure("sp").replace({
        id: "sp",
        body: "function () { return 20; }",
      });
      assert.equal(replaced?.body, "function () { return 20; }");
      assert.notEqual(replaced?._etag, created?._etag);
      assert.equal(replaced?._rid, created?._rid);

      const { resource: read } = await container.scripts.storedProcedure("sp").read();
      assert.equal(read?.body, "function () { return 20; }");
      await container.scripts.storedProcedure("sp").delete();
      assert.equal((await failure(container.scripts.storedProcedure("sp").read())).code, 404);
    });

    it("refuses a definition without a string body, naming the value", async function () {
      // The SDK sends whatever body it is given as a string; one without a body reaches the endpoint as such.
      const refused = await failure(container.scripts.storedProcedures.create({ id: "bad" }));
      assert.equal(refused.code, 400);
      assert.match(String(refused.message), /body undefined is invalid/);
    });

    it("execute with their arguments and answer the response body, appended values included", async function () {
      await container.scripts.storedProcedures.create({
        id: "greet",
        body: function (input: { name: string }) {
          getContext()
            .getResponse()
            .setBody("hello " + input.name);
        },
      });
      await container.scripts.storedProcedures.create({
        id: "append",
        body: function () {
          for (let i = 1; i < 4; i++) getContext().getResponse().appendValue("Body", i);
        },
      });
      const { resource: greeting } = await container.scripts
        .storedProcedure("greet")
        .execute("k", [{ name: "world" }]);
      assert.equal(greeting, "hello world");
      const { resource: appended } = await container.scripts.storedProcedure("append").execute("k");
      assert.equal(appended, "123");
    });

    it("query and read only the request's logical partition", async function () {
      await container.items.create({ id: "a1", key: "A" });
      await container.items.create({ id: "a2", key: "A" });
      await container.items.create({ id: "b1", key: "B" });
      await container.scripts.storedProcedures.create({
        id: "list",
        body: function () {
          const collection = getContext().getCollection();
          const accepted = collection.queryDocuments(
            collection.getSelfLink(),
            "SELECT VALUE r.id FROM r",
            {},
            function (error: Error | undefined, ids: string[]) {
              if (error) throw error;
              collection.readDocument(
                collection.getAltLink() + "/docs/" + ids[0],
                {},
                function (readError: Error | undefined, item: { id: string; _etag: string }) {
                  if (readError) throw readError;
                  getContext()
                    .getResponse()
                    .setBody({ ids: ids.sort(), read: item.id, etag: typeof item._etag });
                },
              );
            },
          );
          if (!accepted) throw new Error("not accepted");
        },
      });
      const { resource } = await container.scripts.storedProcedure("list").execute("A");
      assert.deepEqual(resource, { ids: ["a1", "a2"], read: "a1", etag: "string" });
    });

    it("write all or nothing: a throw undoes every write, and the script's message answers 400", async function () {
      await container.scripts.storedProcedures.create({
        id: "createTwo",
        body: function (fail: boolean) {
          const collection = getContext().getCollection();
          collection.createDocument(collection.getSelfLink(), { id: "one", key: "P" });
          collection.createDocument(collection.getSelfLink(), { id: "two", key: "P" }, {}, function () {
            if (fail) throw new Error("refusing on purpose");
          });
        },
      });
      const refused = await failure(container.scripts.storedProcedure("createTwo").execute("P", [true]));
      assert.equal(refused.code, 400);
      assert.match(String(refused.message), /refusing on purpose/);
      assert.deepEqual(await ids("P"), []);

      await container.scripts.storedProcedure("createTwo").execute("P", [false]);
      assert.deepEqual(await ids("P"), ["one", "two"]);
    });

    it("hand a failed operation to its callback, and refuse writes outside the request's partition", async function () {
      await container.items.create({ id: "taken", key: "P" });
      await container.scripts.storedProcedures.create({
        id: "create",
        body: function (document: unknown) {
          const collection = getContext().getCollection();
          collection.createDocument(
            collection.getSelfLink(),
            document,
            {},
            function (error: { number: number }) {
              getContext()
                .getResponse()
                .setBody(error ? error.number : "created");
            },
          );
        },
      });
      const sproc = container.scripts.storedProcedure("create");
      assert.equal((await sproc.execute("P", [{ id: "taken", key: "P" }])).resource, 409);
      assert.equal((await sproc.execute("P", [{ id: "elsewhere", key: "Q" }])).resource, 400);
      assert.deepEqual(await ids("Q"), []);
    });

    it("report console.log lines only when script logging is asked for", async function () {
      await container.scripts.storedProcedures.create({
        id: "logs",
        body: function () {
          console.log("The value of %s is %s.", "x", 1);
          getContext().getResponse().setBody("done");
        },
      });
      const sproc = container.scripts.storedProcedure("logs");
      const quiet = await sproc.execute("k");
      assert.equal(quiet.headers["x-ms-documentdb-script-log-results"], undefined);
      const logged = await sproc.execute("k", [], { enableScriptLogging: true });
      assert.equal(
        logged.headers["x-ms-documentdb-script-log-results"],
        encodeURIComponent("The value of x is 1."),
      );
    });

    it("are stopped at the time limit, their writes undone", async function () {
      await container.scripts.storedProcedures.create({
        id: "spin",
        body: function () {
          const collection = getContext().getCollection();
          collection.createDocument(collection.getSelfLink(), { id: "before-spin", key: "S" });
          for (;;) {
            // never returns
          }
        },
      });
      const stopped = await failure(container.scripts.storedProcedure("spin").execute("S"));
      assert.equal(stopped.code, 408);
      assert.deepEqual(await ids("S"), []);
    });
  });

  describe("triggers", function () {
    beforeEach(async function () {
      await container.scripts.triggers.create({
        id: "upper",
        body: function () {
          const item = getContext().getRequest().getBody();
          item.id = item.id.toUpperCase();
          getContext().getRequest().setBody(item);
        },
        triggerType: TriggerType.Pre,
        triggerOperation: TriggerOperation.All,
      });
      await container.scripts.triggers.create({
        id: "audit",
        body: function () {
          const written = getContext().getResponse().getBody() as { id: string; key: string };
          if (written.id === "REFUSE") throw new Error("audit refuses " + written.id);
          const collection = getContext().getCollection();
          collection.createDocument(collection.getSelfLink(), {
            id: "audit-" + written.id,
            key: written.key,
          });
        },
        triggerType: TriggerType.Post,
        triggerOperation: TriggerOperation.Create,
      });
    });

    it("pre-triggers rewrite the item and post-triggers write beside it", async function () {
      const { resource } = await container.items.create(
        { id: "doc", key: "T" },
        { preTriggerInclude: ["upper"], postTriggerInclude: ["audit"] },
      );
      assert.equal(resource?.id, "DOC");
      assert.deepEqual(await ids("T"), ["DOC", "audit-DOC"]);
    });

    it("a throwing post-trigger fails the write and undoes it", async function () {
      const refused = await failure(
        container.items.create(
          { id: "refuse", key: "T" },
          { preTriggerInclude: "upper", postTriggerInclude: "audit" },
        ),
      );
      assert.equal(refused.code, 400);
      assert.match(String(refused.message), /audit refuses REFUSE/);
      assert.deepEqual(await ids("T"), []);
    });

    it("a trigger for another operation, or of the other type, answers 400", async function () {
      await container.items.create({ id: "x", key: "T" });
      const wrongOperation = await failure(
        container.item("x", "T").replace({ id: "x", key: "T" }, { postTriggerInclude: "audit" }),
      );
      assert.equal(wrongOperation.code, 400);
      const wrongType = await failure(
        container.items.create({ id: "y", key: "T" }, { preTriggerInclude: "audit" }),
      );
      assert.equal(wrongType.code, 400);
      const invalid = await failure(
        container.scripts.triggers.create({
          id: "bad",
          body: "function () {}",
          triggerType: "Sometimes" as TriggerType,
          triggerOperation: TriggerOperation.All,
        }),
      );
      assert.equal(invalid.code, 400);
      assert.match(String(invalid.message), /"Sometimes"/);
    });
  });

  describe("user-defined functions", function () {
    it("are callable as udf.<name> in queries across partitions", async function () {
      await container.scripts.userDefinedFunctions.create({
        id: "double",
        body: "function (n) { return n * 2; }",
      });
      for (const [id, n] of [
        ["a", 1],
        ["b", 2],
        ["c", 3],
      ] as const)
        await container.items.create({ id, key: id, n });
      const { resources } = await container.items
        .query<number>("SELECT VALUE udf.double(c.n) FROM c WHERE udf.double(c.n) > 2")
        .fetchAll();
      assert.deepEqual(resources.sort(), [4, 6]);

      const unknown = await failure(container.items.query("SELECT VALUE udf.triple(c.n) FROM c").fetchAll());
      assert.equal(unknown.code, 400);

      await container.scripts.userDefinedFunction("double").delete();
      assert.equal((await failure(container.scripts.userDefinedFunction("double").read())).code, 404);
    });
  });

  describe("conflicts", function () {
    // (The SDK signs a conflict's read as a user's, so the endpoint refuses it with 401, as the service would;
    // a delete is signed as it should be.)
    it("a single-region account has none: the feed is empty and a delete answers 404", async function () {
      const { resources: listed } = await container.conflicts.readAll().fetchAll();
      assert.deepEqual(listed, []);
      const { resources: queried } = await container.conflicts.query("SELECT * FROM c").fetchAll();
      assert.deepEqual(queried, []);
      assert.equal((await failure(container.conflict("missing", "k").delete())).code, 404);
    });
  });
});
