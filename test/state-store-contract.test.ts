import assert from "node:assert/strict";
import { Client, errors, types } from "cassandra-driver";
import { CassandraStateStore } from "../engine/cassandra/state-store";
import { withoutSystemProperties } from "../engine/documents";
import { serviceStatus } from "../engine/errors";
import { CosmosStateStore, EtagConflict, updateJob, type StateStore } from "../engine/state-store";
import type { JobRecord, RangeRecord } from "../engine/types";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { MemoryStateStore } from "./support/memory-state-store";
import { jobNamed } from "./support/job-records";
import { newRangeRecord } from "../engine/job-ranges";

/**
 * The StateStore contract the engine relies on, one body of cases run against every store: the in-memory one
 * of the unit tests, the Cosmos one on the project's emulator, and the Cassandra one on a real node. Names
 * are unique to the run, so the stores may hold other state (an external account's).
 */
interface Backend {
  name: string;
  /** Reaches the backend; `stop` undoes it. */
  start(): Promise<void>;
  /** Undefined for the memory store, which has no state to find. */
  openExisting?(): Promise<StateStore | undefined>;
  open(): Promise<StateStore>;
  stop(): Promise<void>;
}

const memory: Backend = {
  name: "MemoryStateStore",
  start: async () => undefined,
  open: async () => new MemoryStateStore(),
  stop: async () => undefined,
};

function cosmosBackend(): Backend {
  let cosmos: TestEndpoint;
  return {
    name: "CosmosStateStore on the emulator",
    start: async () => {
      cosmos = await openEndpoint();
    },
    // An external account may hold the state database already: the case is for a fresh emulator.
    openExisting: usingExternalEndpoint ? undefined : () => CosmosStateStore.openExisting(cosmos.client),
    open: () => CosmosStateStore.open(cosmos.client),
    stop: async () => cosmos?.stop(),
  };
}

/**
 * The node in CASSANDRA_CONTACT_POINTS (host:port). TODO(merge): `openCassandra()` from
 * test/support/cassandra-node.ts, which starts the project's node when none is named.
 */
function connectCassandra(): Client {
  return new Client({
    contactPoints: [process.env.CASSANDRA_CONTACT_POINTS as string],
    localDataCenter: process.env.CASSANDRA_LOCAL_DATA_CENTER ?? "datacenter1",
    protocolOptions: { maxVersion: 4 },
  });
}

/** Keyspace names allow no dashes. */
function uniqueKeyspace(prefix: string): string {
  return uniqueName(prefix).replace(/-/g, "_");
}

function cassandraBackend(): Backend {
  let client: Client;
  // A keyspace of its own, so runs never see each other's state (the store's default is fixed).
  const keyspace = uniqueKeyspace("state_contract");
  return {
    name: "CassandraStateStore on a Cassandra node",
    start: async () => {
      client = connectCassandra();
      await client.connect();
    },
    openExisting: () => CassandraStateStore.openExisting(client, { keyspace }),
    open: () => CassandraStateStore.open(client, { keyspace }),
    stop: async () => {
      await client?.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`).catch(() => undefined);
      await client?.shutdown();
    },
  };
}

/** What a store returned, without what the store adds (etags, Cosmos's system properties). */
function content(document: object | undefined): Record<string, unknown> | undefined {
  return document && withoutSystemProperties(document as Record<string, unknown>);
}

async function rejectsWithConflict(write: Promise<unknown>): Promise<void> {
  await assert.rejects(write, EtagConflict);
}

async function rejectsAsMissing(write: Promise<unknown>): Promise<void> {
  await assert.rejects(write, (error: unknown) => serviceStatus(error)?.code === 404);
}

const backends: Backend[] = [memory, cosmosBackend()];
if (process.env.CASSANDRA_CONTACT_POINTS) backends.push(cassandraBackend());

for (const backend of backends) {
  describe(`StateStore contract: ${backend.name}`, function () {
    let store: StateStore;
    let foundBeforeCreation: StateStore | undefined;
    let foundAfterCreation: StateStore | undefined;

    before(async function () {
      await backend.start();
      foundBeforeCreation = await backend.openExisting?.();
      store = await backend.open();
      foundAfterCreation = await backend.openExisting?.();
    });

    after(async function () {
      await backend.stop();
    });

    it("openExisting finds no state before it is created, and the created state after", async function () {
      if (!backend.openExisting) this.skip();
      assert.equal(foundBeforeCreation, undefined);
      assert.ok(foundAfterCreation);
      const job = jobNamed(uniqueName("found"));
      await store.insertJob(job);
      assert.deepEqual(content(await foundAfterCreation.getJob(job.name)), content(job));
    });

    it("inserts a job or a range only if absent", async function () {
      const job = jobNamed(uniqueName("insert"));
      const inserted = await store.insertJob(job);
      assert.ok(inserted?._etag, "an inserted record has an etag");
      assert.deepEqual(content(inserted), content(job));
      assert.equal(await store.insertJob({ ...job, totalCount: 5 }), undefined);
      assert.deepEqual(await store.getJob(job.name), inserted);

      const range = newRangeRecord(job.name, { minInclusive: "", maxExclusive: "FF" });
      const insertedRange = await store.insertRange(range);
      assert.deepEqual(content(insertedRange), content(range));
      assert.equal(await store.insertRange({ ...range, processedCount: 5 }), undefined);
      assert.deepEqual(await store.getRange(job.name, range.id), insertedRange);
      assert.equal(await store.getJob(uniqueName("absent")), undefined);
      assert.equal(await store.getRange(job.name, "absent"), undefined);
    });

    it("replaces with the current etag, refuses a stale one, and replaces without one unconditionally", async function () {
      const job = (await store.insertJob(jobNamed(uniqueName("replace")))) as JobRecord;
      const first = await store.replaceJob({ ...job, processedCount: 1 });
      assert.notEqual(first._etag, job._etag, "a replace gives a new etag");
      await rejectsWithConflict(store.replaceJob({ ...job, processedCount: 2 }));
      assert.deepEqual(await store.getJob(job.name), first);

      const unconditional = await store.replaceJob({ ...job, processedCount: 3, _etag: undefined });
      assert.notEqual(unconditional._etag, first._etag);
      assert.equal((await store.getJob(job.name))?.processedCount, 3);

      const range = (await store.insertRange(
        newRangeRecord(job.name, { minInclusive: "", maxExclusive: "FF" }),
      )) as RangeRecord;
      const checkpoint = await store.replaceRange({ ...range, continuation: "page-1", processedCount: 10 });
      await rejectsWithConflict(store.replaceRange({ ...range, continuation: "page-0" }));
      assert.deepEqual(await store.getRange(job.name, range.id), checkpoint);
    });

    it("refuses to replace a record that does not exist, with or without an etag", async function () {
      const job = jobNamed(uniqueName("missing"));
      await rejectsAsMissing(store.replaceJob(job));
      const inserted = (await store.insertJob(job)) as JobRecord;
      await store.deleteJob(job.name);
      await rejectsAsMissing(store.replaceJob(inserted));
      await rejectsAsMissing(
        store.replaceRange(newRangeRecord(job.name, { minInclusive: "", maxExclusive: "FF" })),
      );
    });

    it("lists jobs oldest first and a job's ranges by their lower bound", async function () {
      const names = [uniqueName("list-b"), uniqueName("list-c"), uniqueName("list-a")];
      const created = ["2024-05-02T00:00:00.000Z", "2024-05-03T00:00:00.000Z", "2024-05-01T00:00:00.000Z"];
      for (const [i, name] of names.entries()) await store.insertJob(jobNamed(name, created[i]));
      const listed = (await store.listJobs()).filter((job) => names.includes(job.name));
      assert.deepEqual(
        listed.map((job) => job.name),
        [names[2], names[0], names[1]],
      );

      const [jobName, otherJob] = names;
      for (const [min, max] of [
        ["80", "C0"],
        ["", "40"],
        ["C0", "FF"],
        ["40", "80"],
      ]) {
        await store.insertRange(newRangeRecord(jobName, { minInclusive: min, maxExclusive: max }));
      }
      await store.insertRange(newRangeRecord(otherJob, { minInclusive: "", maxExclusive: "FF" }));
      assert.deepEqual(
        (await store.listRanges(jobName)).map((range) => range.minInclusive),
        ["", "40", "80", "C0"],
      );
      assert.deepEqual(await store.listRanges(uniqueName("no-ranges")), []);
    });

    it("deleteJob removes the job and its ranges, and no other job's", async function () {
      const [job, other] = [uniqueName("delete"), uniqueName("delete-other")];
      await store.insertJob(jobNamed(job));
      await store.insertJob(jobNamed(other));
      for (const [min, max] of [
        ["", "80"],
        ["80", "FF"],
      ]) {
        await store.insertRange(newRangeRecord(job, { minInclusive: min, maxExclusive: max }));
        await store.insertRange(newRangeRecord(other, { minInclusive: min, maxExclusive: max }));
      }
      assert.equal(await store.deleteJob(job), true);
      assert.equal(await store.getJob(job), undefined);
      assert.deepEqual(await store.listRanges(job), []);
      assert.equal(await store.deleteJob(job), false);
      assert.ok(await store.getJob(other));
      assert.equal((await store.listRanges(other)).length, 2);
    });

    it("deleteRange deletes only with the current etag, and ignores a range already gone", async function () {
      const jobName = uniqueName("delete-range");
      const range = (await store.insertRange(
        newRangeRecord(jobName, { minInclusive: "", maxExclusive: "FF" }),
      )) as RangeRecord;
      const checkpoint = await store.replaceRange({ ...range, processedCount: 1 });
      await rejectsWithConflict(store.deleteRange(range));
      assert.ok(await store.getRange(jobName, range.id), "a refused delete leaves the range");
      await store.deleteRange(checkpoint);
      assert.equal(await store.getRange(jobName, range.id), undefined);
      await store.deleteRange(checkpoint);
    });

    it("creates the job slot once, and replaces it only with its current etag", async function () {
      const [slot, sameSlot] = await Promise.all([store.getJobSlot(), store.getJobSlot()]);
      assert.equal(slot.id, "job-slot");
      assert.equal(sameSlot._etag, slot._etag, "concurrent first callers get the same slot");
      const held = await store.replaceJobSlot({ ...slot, runningJob: "holder" });
      await rejectsWithConflict(store.replaceJobSlot({ ...slot, runningJob: "latecomer" }));
      assert.equal((await store.getJobSlot()).runningJob, "holder");
      const freed = await store.replaceJobSlot({ ...held, runningJob: undefined });
      assert.equal((await store.getJobSlot())._etag, freed._etag);
      assert.equal((await store.getJobSlot()).runningJob, undefined);
    });

    it("keeps one heartbeat per worker and lists those seen since a time", async function () {
      const [early, late] = [uniqueName("worker-early"), uniqueName("worker-late")];
      const now = Date.now();
      const beat = (workerId: string, lastSeen: number) =>
        store.beat({ workerId, host: "test-host", pid: 1234, lastSeen, sourceAccounts: ["https://a/"] });
      const ours = async (since: number) =>
        (await store.liveWorkers(since))
          .filter((heartbeat) => [early, late].includes(heartbeat.workerId))
          .map(({ workerId, lastSeen, id }) => ({ workerId, lastSeen, id }))
          .sort((a, b) => a.lastSeen - b.lastSeen);

      await beat(early, now - 60_000);
      await beat(late, now);
      assert.deepEqual(await ours(now - 30_000), [{ workerId: late, lastSeen: now, id: `worker:${late}` }]);
      await beat(early, now + 1);
      assert.deepEqual(
        (await ours(now - 30_000)).map((heartbeat) => heartbeat.workerId),
        [late, early],
        "a beat replaces the worker's heartbeat",
      );
      const [heartbeat] = await ours(now);
      assert.deepEqual(heartbeat, { workerId: early, lastSeen: now + 1, id: `worker:${early}` });
      await store.removeHeartbeat(late);
      assert.deepEqual(
        (await ours(0)).map((heartbeat) => heartbeat.workerId),
        [early],
      );
      await store.removeHeartbeat(early);
    });

    it("lets exactly one of 10 concurrent replaces with the same etag win, round after round", async function () {
      const name = uniqueName("race");
      await store.insertJob(jobNamed(name));
      for (let round = 0; round < 3; round++) {
        const job = (await store.getJob(name)) as JobRecord;
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, writer) => store.replaceJob({ ...job, processedCount: writer })),
        );
        const winners = outcomes.filter((outcome) => outcome.status === "fulfilled");
        const losers = outcomes.filter((outcome) => outcome.status === "rejected");
        assert.equal(winners.length, 1, `round ${round}: one winner`);
        for (const loser of losers) assert.ok(loser.reason instanceof EtagConflict, String(loser.reason));
        assert.deepEqual(await store.getJob(name), winners[0].value);
      }
    });

    it("updateJob converges: 10 concurrent increments give 10", async function () {
      const name = uniqueName("increments");
      await store.insertJob(jobNamed(name));
      await Promise.all(
        Array.from({ length: 10 }, () =>
          updateJob(store, name, (job) => ({ ...job, processedCount: job.processedCount + 1 })),
        ),
      );
      assert.equal((await store.getJob(name))?.processedCount, 10);
    });
  });
}

/**
 * The client, but the replies of the next `loseReplies(n)` conditional writes are lost after the writes
 * applied: a CAS write timeout, as when the coordinator stops waiting for a Paxos round that completes.
 */
function losingReplies(client: Client): { client: Client; loseReplies(count: number): void } {
  let lost = 0;
  const execute: Client["execute"] = async (query: string, params?: unknown, options?: object) => {
    const result = await client.execute(query, params as unknown[], options);
    if (lost > 0 && / IF /.test(query)) {
      lost -= 1;
      throw Object.assign(new errors.ResponseError(types.responseErrorCodes.writeTimeout, "CAS timeout"), {
        writeType: "CAS",
      });
    }
    return result;
  };
  const proxy = new Proxy(client, {
    get: (target, property) => {
      if (property === "execute") return execute;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client: proxy, loseReplies: (count) => (lost = count) };
}

if (process.env.CASSANDRA_CONTACT_POINTS) {
  describe("CassandraStateStore: a lightweight transaction that applied but whose reply was lost", function () {
    // Cosmos answers the retry of such a replace with a conflict; here each write's new etag is chosen
    // before its first attempt, so the retry recognises its own write and succeeds.
    const keyspace = uniqueKeyspace("state_lost");
    let client: Client;
    let faults: ReturnType<typeof losingReplies>;
    let store: CassandraStateStore;

    before(async function () {
      client = connectCassandra();
      faults = losingReplies(client);
      store = await CassandraStateStore.open(faults.client, { keyspace });
    });

    after(async function () {
      await client?.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`).catch(() => undefined);
      await client?.shutdown();
    });

    it("an insert returns the record it wrote, not 'already exists'", async function () {
      const job = jobNamed(uniqueName("lost-insert"));
      faults.loseReplies(1);
      const inserted = await store.insertJob(job);
      assert.deepEqual(content(inserted), content(job));
      assert.deepEqual(await store.getJob(job.name), inserted);
    });

    it("a replace returns the record it wrote, not a conflict", async function () {
      const job = (await store.insertJob(jobNamed(uniqueName("lost-replace")))) as JobRecord;
      faults.loseReplies(2);
      const replaced = await store.replaceJob({ ...job, processedCount: 7 });
      assert.deepEqual(await store.getJob(job.name), replaced);
      assert.equal(replaced.processedCount, 7);
      await rejectsWithConflict(store.replaceJob({ ...job, processedCount: 8 }));
    });

    it("a conditional delete of a range ends with the range gone", async function () {
      const range = (await store.insertRange(
        newRangeRecord(uniqueName("lost-delete"), { minInclusive: "", maxExclusive: "FF" }),
      )) as RangeRecord;
      faults.loseReplies(1);
      await store.deleteRange(range);
      assert.equal(await store.getRange(range.jobName, range.id), undefined);
    });
  });
}
