import {
  CosmosClient,
  PermissionMode,
  type Container,
  type Database,
  type ErrorResponse,
  type PermissionDefinition,
  type PermissionBody,
  type Resource,
  type User,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";
import { expectFailure } from "./support/expect-failure";
import { until } from "./support/until";

/**
 * Users, permissions and resource tokens as the service has them: users under a database, permissions under
 * a user naming a container or an item (optionally one partition key) with mode Read or All, and a `_token`
 * on every permission read that a client without the key signs with. Such a client may do what the
 * permission allows and gets 403 for anything else, 401 for a token that is forged, expired or revoked.
 */
interface Doc {
  id: string;
  pk: string;
  n?: number;
}

const status = (error: unknown) => (error as ErrorResponse).code;

describe("users, permissions and resource tokens (cosmos-emulator)", function () {
  let cosmos: TestEndpoint;
  let database: Database;
  let orders: Container;
  let invoices: Container;
  const tokenClients: CosmosClient[] = [];

  before(async () => {
    cosmos = await openEndpoint({ http: true });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("users") }));
    ({ container: orders } = await database.containers.create({ id: "orders", partitionKey: "/pk" }));
    ({ container: invoices } = await database.containers.create({ id: "invoices", partitionKey: "/pk" }));
    await orders.items.create<Doc>({ id: "o1", pk: "a", n: 1 });
    await orders.items.create<Doc>({ id: "o2", pk: "b", n: 2 });
  });

  after(async () => {
    for (const client of tokenClients) client.dispose();
    await database?.delete();
    await cosmos?.stop();
  });

  /** A client that holds no key, only the tokens given. */
  function clientWith(auth: {
    resourceTokens?: Record<string, string>;
    permissionFeed?: PermissionDefinition[];
  }): CosmosClient {
    const client = new CosmosClient({ ...cosmos.clientOptions, key: undefined, ...auth });
    tokenClients.push(client);
    return client;
  }

  async function newUser(): Promise<User> {
    const { user } = await database.users.create({ id: uniqueName("user") });
    return user;
  }

  async function grant(
    user: User,
    definition: Omit<PermissionDefinition, "id">,
  ): Promise<PermissionDefinition & PermissionBody & Resource> {
    const { resource } = await user.permissions.create({ id: uniqueName("permission"), ...definition });
    assert.ok(resource);
    return resource;
  }

  describe("users", () => {
    it("creates, lists, queries, renames, upserts and deletes users with the service's answers", async () => {
      const created = await database.users.create({ id: "alice" });
      assert.equal(created.statusCode, 201);
      const alice = created.resource;
      assert.ok(alice);
      assert.equal(alice.id, "alice");
      assert.match(alice._rid, /\S/);
      assert.equal(alice._self, `dbs/${(await database.read()).resource?._rid}/users/${alice._rid}/`);
      assert.match(alice._etag, /^".+"$/);
      assert.equal(typeof alice._ts, "number");
      assert.equal((alice as unknown as { _permissions: string })._permissions, "permissions/");

      assert.equal(status(await expectFailure(database.users.create({ id: "alice" }))), 409);

      const { resources: all } = await database.users.readAll().fetchAll();
      assert.ok(all.some((u) => u.id === "alice" && u._rid === alice._rid));
      const { resources: found } = await database.users
        .query({
          query: "SELECT * FROM root r WHERE r.id = @id",
          parameters: [{ name: "@id", value: "alice" }],
        })
        .fetchAll();
      assert.deepEqual(
        found.map((u: { id: string }) => u.id),
        ["alice"],
      );

      const renamed = await database.user("alice").replace({ id: "alicia" });
      assert.equal(renamed.resource?.id, "alicia");
      assert.equal(renamed.resource?._rid, alice._rid, "a rename keeps the user's rid");
      assert.notEqual(renamed.resource?._etag, alice._etag);
      assert.equal(status(await expectFailure(database.user("alice").read())), 404);
      assert.equal((await database.user("alicia").read()).resource?.id, "alicia");

      assert.equal((await database.users.upsert({ id: "alicia" })).statusCode, 200);
      assert.equal((await database.users.upsert({ id: "bob" })).statusCode, 201);

      assert.equal((await database.user("alicia").delete()).statusCode, 204);
      assert.equal(status(await expectFailure(database.user("alicia").read())), 404);
      assert.equal(status(await expectFailure(database.user("alicia").delete())), 404);
      await database.user("bob").delete();
    });

    it("answers 404 for users of a database that does not exist, and 400 for a bad id", async () => {
      const missing = cosmos.client.database(uniqueName("missing"));
      assert.equal(status(await expectFailure(missing.users.create({ id: "u" }))), 404);
      assert.equal(status(await expectFailure(missing.users.readAll().fetchAll())), 404);
      const longId = "u".repeat(256);
      const badId = await expectFailure(database.users.create({ id: longId }));
      assert.equal(status(badId), 400);
      assert.ok(badId.message.includes(longId), badId.message);
    });
  });

  describe("permissions", () => {
    it("creates, lists, queries, replaces, upserts, renames and deletes permissions, each with a token", async () => {
      const user = await newUser();
      const created = await user.permissions.create({
        id: "read orders",
        permissionMode: PermissionMode.Read,
        resource: orders.url,
      });
      assert.equal(created.statusCode, 201);
      const permission = created.resource;
      assert.ok(permission);
      assert.equal(permission.permissionMode, PermissionMode.Read);
      assert.equal(permission.resource, orders.url);
      assert.match(permission._token, /^type=resource&ver=1\.0&sig=\S+$/);
      assert.ok(!permission._token.includes(cosmos.key), "a token never carries the account key");
      const userRid = (await user.read()).resource?._rid;
      assert.ok(
        permission._self.includes(`/users/${userRid}/permissions/${permission._rid}/`),
        permission._self,
      );

      const { resources: listed } = await user.permissions.readAll().fetchAll();
      assert.deepEqual(
        listed.map((p) => p.id),
        ["read orders"],
      );
      assert.match((listed[0] as unknown as PermissionBody)._token, /^type=resource/);
      const { resources: found } = await user.permissions
        .query({
          query: "SELECT * FROM root r WHERE r.id = @id",
          parameters: [{ name: "@id", value: "read orders" }],
        })
        .fetchAll();
      assert.equal(found.length, 1);

      const replaced = await user.permission("read orders").replace({
        id: "read orders",
        permissionMode: PermissionMode.All,
        resource: orders.url,
      });
      assert.equal(replaced.resource?.permissionMode, PermissionMode.All);
      const upserted = await user.permissions.upsert({
        id: "read orders",
        permissionMode: PermissionMode.Read,
        resource: orders.url,
      });
      assert.equal(upserted.statusCode, 200);
      assert.equal(upserted.resource?.permissionMode, PermissionMode.Read);

      const renamed = await user.permission("read orders").replace({
        id: "orders reader",
        permissionMode: PermissionMode.Read,
        resource: orders.url,
      });
      assert.equal(renamed.resource?.id, "orders reader");
      assert.equal(renamed.resource?._rid, permission._rid);
      assert.equal(status(await expectFailure(user.permission("read orders").read())), 404);

      const read = await user.permission("orders reader").read();
      assert.equal(read.resource?.id, "orders reader");
      assert.match(read.resource?._token ?? "", /^type=resource/);

      assert.equal((await user.permission("orders reader").delete()).statusCode, 204);
      assert.equal(status(await expectFailure(user.permission("orders reader").read())), 404);
    });

    it("keeps resourcePartitionKey, one permission per resource, and refuses bad definitions naming the value", async () => {
      const user = await newUser();
      const scoped = await grant(user, {
        permissionMode: PermissionMode.Read,
        resource: orders.url,
        resourcePartitionKey: ["a"],
      });
      assert.deepEqual(scoped.resourcePartitionKey, ["a"]);

      const duplicate = await expectFailure(
        user.permissions.create({
          id: "again",
          permissionMode: PermissionMode.All,
          resource: orders.url,
          resourcePartitionKey: ["a"],
        }),
      );
      assert.equal(status(duplicate), 409);
      assert.equal(
        status(await expectFailure(user.permissions.create({ ...scoped, resource: orders.url }))),
        409,
      );

      const badMode = await expectFailure(
        user.permissions.create({ id: "m", permissionMode: "write" as PermissionMode, resource: orders.url }),
      );
      assert.equal(status(badMode), 400);
      assert.match(badMode.message, /'write'/);
      const badResource = await expectFailure(
        user.permissions.create({ id: "r", permissionMode: PermissionMode.Read, resource: "dbs/x" }),
      );
      assert.equal(status(badResource), 400);
      assert.match(badResource.message, /'dbs\/x'/);
      const missingContainer = await expectFailure(
        user.permissions.create({
          id: "c",
          permissionMode: PermissionMode.Read,
          resource: `dbs/${database.id}/colls/nowhere`,
        }),
      );
      assert.equal(status(missingContainer), 400);
      assert.match(missingContainer.message, /nowhere/);
      const badExpiry = await expectFailure(
        user.permission(scoped.id).read({ resourceTokenExpirySeconds: 5 }),
      );
      assert.equal(status(badExpiry), 400);
      assert.match(badExpiry.message, /'5'/);
    });

    it("deletes a user's permissions with it, and answers 404/1003 under a missing user", async () => {
      const { resource } = await database.users.create({ id: "temporary" });
      const user = database.user(resource?.id ?? "");
      await grant(user, { permissionMode: PermissionMode.Read, resource: orders.url });
      await user.delete();
      const missingOwner = await expectFailure(user.permissions.readAll().fetchAll());
      assert.equal(status(missingOwner), 404);
      assert.equal((missingOwner as ErrorResponse).substatus, 1003);
      await database.users.create({ id: "temporary" });
      const { resources } = await user.permissions.readAll().fetchAll();
      assert.deepEqual(resources, []);
      await user.delete();
    });
  });

  describe("resource tokens", () => {
    it("a Read token reads its container, its items and queries, and is refused writes with 403", async () => {
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.Read,
        resource: orders.url,
      });
      const reader = clientWith({ resourceTokens: { [orders.id]: permission._token } })
        .database(database.id)
        .container(orders.id);

      assert.equal((await reader.read()).resource?.id, orders.id);
      const { resources: all } = await reader.items.readAll<Doc>().fetchAll();
      assert.deepEqual(all.map((d) => d.id).sort(), ["o1", "o2"]);
      assert.equal((await reader.item("o1", "a").read<Doc>()).resource?.n, 1);
      const { resources: queried } = await reader.items
        .query<Doc>("SELECT * FROM c WHERE c.n = 2")
        .fetchAll();
      assert.deepEqual(
        queried.map((d) => d.id),
        ["o2"],
      );

      const refusedCreate = await expectFailure(reader.items.create<Doc>({ id: "o3", pk: "a" }));
      assert.equal(status(refusedCreate), 403);
      assert.match(refusedCreate.message, /Insufficient permissions/);
      assert.equal(status(await expectFailure(reader.item("o1", "a").delete())), 403);
      assert.equal(status(await expectFailure(reader.delete())), 403);
      assert.equal((await orders.read()).statusCode, 200, "the refused delete left the container");
    });

    it("a token is refused on another container, on the database, its users and its container list", async () => {
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.All,
        resource: orders.url,
      });
      // Keyed by the database id, the SDK sends this token for every path under the database.
      const client = clientWith({ resourceTokens: { [database.id]: permission._token } });
      const other = client.database(database.id).container(invoices.id);
      assert.equal(status(await expectFailure(other.read())), 403);
      assert.equal(status(await expectFailure(other.items.create<Doc>({ id: "i1", pk: "a" }))), 403);
      assert.equal(status(await expectFailure(other.items.readAll().fetchAll())), 403);
      assert.equal(status(await expectFailure(client.database(database.id).read())), 403);
      assert.equal(status(await expectFailure(client.database(database.id).users.readAll().fetchAll())), 403);
      assert.equal(
        status(await expectFailure(client.database(database.id).containers.readAll().fetchAll())),
        403,
      );
    });

    it("an All token on a container named by _self writes its items", async () => {
      const selfLink = (await orders.read()).resource?._self;
      assert.ok(selfLink);
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.All,
        resource: selfLink,
      });
      const writer = clientWith({
        resourceTokens: { [`dbs/${database.id}/colls/${orders.id}`]: permission._token },
      })
        .database(database.id)
        .container(orders.id);
      assert.equal((await writer.items.create<Doc>({ id: "w1", pk: "w" })).statusCode, 201);
      assert.equal((await writer.items.upsert<Doc>({ id: "w1", pk: "w", n: 5 })).statusCode, 200);
      assert.equal((await writer.item("w1", "w").delete()).statusCode, 204);
    });

    it("a client built from a permission feed signs with the permissions' tokens", async () => {
      // The SDK keys a permission feed by the last id of each permission's resource, so it must be name-based.
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.Read,
        resource: orders.url,
      });
      const fromFeed = clientWith({ permissionFeed: [permission] })
        .database(database.id)
        .container(orders.id);
      assert.equal((await fromFeed.read()).resource?.id, orders.id);
      assert.equal((await fromFeed.item("o2", "b").read<Doc>()).resource?.n, 2);
      assert.equal(status(await expectFailure(fromFeed.items.create<Doc>({ id: "f1", pk: "b" }))), 403);
    });

    it("a partition-key token covers only requests with its partition key", async () => {
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.All,
        resource: orders.url,
        resourcePartitionKey: ["p1"],
      });
      const scoped = clientWith({ resourceTokens: { [orders.id]: permission._token } })
        .database(database.id)
        .container(orders.id);
      assert.equal((await scoped.items.create<Doc>({ id: "k1", pk: "p1" })).statusCode, 201);
      assert.equal(status(await expectFailure(scoped.items.create<Doc>({ id: "k2", pk: "p2" }))), 403);
      assert.equal(status(await expectFailure(scoped.item("o1", "a").read())), 403);
      const { resources } = await scoped.items
        .query<Doc>("SELECT * FROM c", { partitionKey: "p1" })
        .fetchAll();
      assert.deepEqual(
        resources.map((d) => d.id),
        ["k1"],
      );
    });

    it("an item token (by _self) covers that item only", async () => {
      const { resource: doc } = await orders.item("o1", "a").read<Doc & { _self: string }>();
      assert.ok(doc);
      const permission = await grant(await newUser(), {
        permissionMode: PermissionMode.Read,
        resource: doc._self,
      });
      const client = clientWith({
        resourceTokens: { [`dbs/${database.id}/colls/${orders.id}`]: permission._token },
      });
      const container = client.database(database.id).container(orders.id);
      assert.equal((await container.item("o1", "a").read<Doc>()).resource?.id, "o1");
      assert.equal(status(await expectFailure(container.item("o2", "b").read())), 403);
      assert.equal(status(await expectFailure(container.items.readAll().fetchAll())), 403);
    });

    it("users, permissions and the tokens read before survive a restart of the emulator", async function () {
      if (!cosmos.restart) this.skip();
      const user = await newUser();
      const permission = await grant(user, { permissionMode: PermissionMode.Read, resource: orders.url });
      await cosmos.restart();
      assert.equal((await user.permission(permission.id).read()).resource?.resource, orders.url);
      const reader = clientWith({ resourceTokens: { [orders.id]: permission._token } })
        .database(database.id)
        .container(orders.id);
      assert.equal((await reader.item("o2", "b").read<Doc>()).resource?.n, 2);
    });

    it("answers 401 for a forged token, a token whose permission changed, and an expired token", async () => {
      const user = await newUser();
      const permission = await grant(user, { permissionMode: PermissionMode.Read, resource: orders.url });
      const readWith = (token: string) =>
        clientWith({ resourceTokens: { [orders.id]: token } })
          .database(database.id)
          .container(orders.id)
          .read();

      // Claims rewritten by the holder (here: pointed at another permission) no longer match the mac.
      const [prefix, signature] = permission._token.split("sig=");
      const [claims, mac] = signature.split(";");
      const forgedClaims = Buffer.from(
        Buffer.from(claims, "base64url")
          .toString()
          .replace(/"x":\d+/, '"x":9999999999'),
      ).toString("base64url");
      assert.equal(status(await expectFailure(readWith(`${prefix}sig=${forgedClaims};${mac}`))), 401);
      assert.equal(status(await expectFailure(readWith("type=resource&ver=1.0&sig=nonsense"))), 401);

      await user.permission(permission.id).replace({ ...permission, permissionMode: PermissionMode.All });
      assert.equal(status(await expectFailure(readWith(permission._token))), 401);

      const { resource: shortLived } = await user
        .permission(permission.id)
        .read({ resourceTokenExpirySeconds: 10 });
      assert.ok(shortLived);
      assert.equal((await readWith(shortLived._token)).statusCode, 200);
      const expired = await until(
        () =>
          readWith(shortLived._token).then(
            () => undefined,
            (error: unknown) => error as ErrorResponse,
          ),
        (error) => error !== undefined,
        "the 10-second token to expire",
        30_000,
      );
      assert.equal(expired?.code, 401);
      assert.match(expired?.message ?? "", /not valid at the current time/);
    });
  });
});
