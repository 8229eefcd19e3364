import assert from "node:assert/strict";
import * as net from "node:net";
import { concurrent, types } from "cassandra-driver";
import { openCassandraClient } from "../engine/cassandra/connection";
import { CopyJobError } from "../engine/errors";
import {
  CASSANDRA_START_TIMEOUT_MS,
  openCassandra,
  uniqueKeyspace,
  usingProjectNode,
  type TestCassandra,
} from "./support/cassandra-node";

/**
 * The Cassandra node the Cassandra suites use is a real one, reached through the official driver the way the
 * engine reaches it: schema with a user-defined type, collections and blobs, lightweight transactions, and
 * reads by token range, the shape in which the engine splits a table among workers.
 */
describe("Cassandra node", function () {
  this.timeout(CASSANDRA_START_TIMEOUT_MS);
  let cluster: TestCassandra;
  const keyspace = uniqueKeyspace("node_test");

  before(async () => {
    cluster = await openCassandra();
    await cluster.client.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
  });

  after(async () => {
    await cluster?.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cluster?.stop();
  });

  it("is an Apache Cassandra node answering CQL", async () => {
    const row = (
      await cluster.client.execute("SELECT release_version, data_center FROM system.local")
    ).first();
    if (usingProjectNode) assert.equal(row.get("release_version"), "5.0.9");
    assert.equal(row.get("data_center"), cluster.connection.localDataCenter);
  });

  it("stores and returns a row with a user-defined type, collections, a blob and a timestamp", async () => {
    const { client } = cluster;
    await client.execute(`CREATE TYPE ${keyspace}.address (street text, zip int)`);
    await client.execute(
      `CREATE TABLE ${keyspace}.customers (
        region text, id int, tags set<text>, scores map<text, int>, visits list<timestamp>,
        home frozen<address>, photo blob, joined timestamp, note text,
        PRIMARY KEY (region, id))`,
    );
    const written = {
      region: "eu",
      id: 7,
      tags: ["gold", "early"],
      // Maps decode as Maps: the engine's clients keep their keys' types (see row-encoding.ts).
      scores: new Map([
        ["april", 11],
        ["march", 3],
      ]),
      visits: [new Date("2026-01-02T03:04:05.678Z"), new Date("2026-02-03T04:05:06.789Z")],
      home: { street: "Rue de la Paix 1", zip: 75002 },
      photo: Buffer.from([0, 1, 2, 254, 255]),
      joined: new Date("2025-12-31T23:59:59.999Z"),
      note: null,
    };
    await client.execute(
      `INSERT INTO ${keyspace}.customers (region, id, tags, scores, visits, home, photo, joined, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      Object.values(written),
      { prepare: true },
    );
    const row = (
      await client.execute(`SELECT * FROM ${keyspace}.customers WHERE region = ? AND id = ?`, ["eu", 7], {
        prepare: true,
      })
    ).first();
    assert.deepEqual(
      { ...row, tags: [...(row.get("tags") as string[])].sort() },
      { ...written, tags: [...written.tags].sort() },
    );
  });

  it("applies a lightweight transaction once: IF NOT EXISTS, then not applied with the row that exists", async () => {
    const { client } = cluster;
    await client.execute(`CREATE TABLE ${keyspace}.leases (name text PRIMARY KEY, owner text, version int)`);
    const claim = `INSERT INTO ${keyspace}.leases (name, owner, version) VALUES (?, ?, 1) IF NOT EXISTS`;
    const first = await client.execute(claim, ["range-0", "worker-a"], { prepare: true });
    assert.equal(first.wasApplied(), true);
    const second = await client.execute(claim, ["range-0", "worker-b"], { prepare: true });
    assert.equal(second.wasApplied(), false);
    assert.equal(second.first().get("owner"), "worker-a");

    const takeOver = `UPDATE ${keyspace}.leases SET owner = ?, version = ? WHERE name = ? IF version = ?`;
    const stale = await client.execute(takeOver, ["worker-b", 2, "range-0", 0], { prepare: true });
    assert.equal(stale.wasApplied(), false);
    const current = await client.execute(takeOver, ["worker-b", 2, "range-0", 1], { prepare: true });
    assert.equal(current.wasApplied(), true);
  });

  it("reads every row exactly once across token ranges that cover the ring, page by page", async () => {
    const { client } = cluster;
    await client.execute(
      `CREATE TABLE ${keyspace}.events (pk int, seq int, body text, PRIMARY KEY (pk, seq))`,
    );
    const keys = Array.from({ length: 300 }, (_, i) => i);
    await concurrent.executeConcurrent(
      client,
      `INSERT INTO ${keyspace}.events (pk, seq, body) VALUES (?, ?, ?)`,
      keys.flatMap((pk) => [0, 1].map((seq) => [pk, seq, `event ${pk}/${seq}`])),
      { concurrencyLevel: 32 },
    );

    // Murmur3 tokens run over (-2^63, 2^63 - 1]; eight ranges (lower, upper] with bounds bound as bigints.
    const min = -(2n ** 63n);
    const max = 2n ** 63n - 1n;
    const rangeCount = 8n;
    const bounds = Array.from({ length: Number(rangeCount) + 1 }, (_, i) =>
      BigInt(i) === rangeCount ? max : min + ((max - min) / rangeCount) * BigInt(i),
    );
    const seen: number[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const lower = types.Long.fromString(bounds[i].toString());
      const upper = types.Long.fromString(bounds[i + 1].toString());
      let pageState: string | undefined;
      do {
        const page = await client.execute(
          `SELECT token(pk) AS t, pk, seq FROM ${keyspace}.events WHERE token(pk) > ? AND token(pk) <= ?`,
          [lower, upper],
          { prepare: true, fetchSize: 50, pageState },
        );
        for (const row of page.rows) {
          const token = BigInt((row.get("t") as types.Long).toString());
          assert.ok(
            token > bounds[i] && token <= bounds[i + 1],
            `token ${token} of pk ${row.get("pk")} in range ${i}`,
          );
          if (row.get("seq") === 0) seen.push(row.get("pk") as number);
        }
        pageState = page.pageState ?? undefined;
      } while (pageState);
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      keys,
    );
  });
});

describe("Cassandra connection failures", function () {
  this.timeout(60_000);

  it("names the contact points and the fix, and never the password, when nothing answers", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const password = "not-a-real-password-3141";
    await assert.rejects(
      openCassandraClient({
        contactPoints: [`127.0.0.1:${closedPort}`],
        localDataCenter: "datacenter1",
        username: "tester",
        password,
      }),
      (error: unknown) => {
        assert.ok(error instanceof CopyJobError);
        assert.equal(error.code, "EndpointUnreachable");
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED`));
        assert.match(error.message, /bash scripts\/cassandra-node\.sh start.*CASSANDRA_CONTACT_POINTS/);
        assert.ok(!error.message.includes(password));
        return true;
      },
    );
  });

  it("names the data center that is missing and the setting that fixes it", async function () {
    if (!usingProjectNode) this.skip();
    const cluster = await openCassandra();
    await cluster.stop();
    await assert.rejects(
      openCassandraClient({ ...cluster.connection, localDataCenter: "nowhere" }),
      (error: unknown) => {
        assert.ok(error instanceof CopyJobError);
        assert.equal(error.code, "InvalidCassandraSetting");
        assert.match(error.message, /no data center 'nowhere'.*datacenter1.*CASSANDRA_LOCAL_DATA_CENTER/s);
        return true;
      },
    );
  });
});
