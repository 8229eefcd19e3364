import assert from "node:assert/strict";
import { AdaptiveConcurrency } from "../engine/adaptive-concurrency";
import { planBalance, type RangeLeaseView } from "../engine/balancer";
import type { Clock } from "../engine/clock";
import {
  canTransition,
  claimJob,
  failJob,
  finishJob,
  requestTransition,
  transitionJob,
} from "../engine/job-lifecycle";
import { reopenRanges } from "../engine/job-ranges";
import { LeaseManager } from "../engine/lease-manager";
import { canReadSource } from "../engine/source-account";
import { ThroughputPacer } from "../engine/throughput-pacer";
import { validateJobSpec } from "../engine/validation";
import { describeProgress } from "../engine/progress";
import {
  defaultCopyOptions,
  isTailing,
  jobStatuses,
  type JobRecord,
  type OnlinePhase,
  type RangeRecord,
  type Verification,
} from "../engine/types";
import { MemoryStateStore } from "./support/memory-state-store";
import { jobNamed } from "./support/job-records";

/**
 * The engine's parts that decide things, on their own: the job state machine and slot, the lease manager,
 * the balancer, the pacer and the concurrency window. Time is a clock the test moves; state is in memory.
 * (Everything that talks to Cosmos DB is tested against a real endpoint in the other suites.)
 */
class TestClock implements Clock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

function rangeNamed(id: string, fields: Partial<RangeRecord> = {}): RangeRecord {
  return {
    id,
    jobName: "job",
    minInclusive: id,
    maxExclusive: `${id}~`,
    processedCount: 0,
    checksum: "0000000000000000",
    processedByWorker: {},
    drained: false,
    ...fields,
  };
}

const starting = async () => ({ writeRegion: "West US", totalCount: 10 });

describe("engine units", function () {
  describe("job lifecycle", function () {
    it("allows only the service's transitions; completed and cancelled jobs never change again", function () {
      for (const ended of ["Completed", "Cancelled"] as const) {
        for (const to of jobStatuses) assert.equal(canTransition(ended, to), false, `${ended} → ${to}`);
      }
      for (const to of jobStatuses) {
        assert.equal(canTransition("Failed", to), to === "Pending", `Failed → ${to}: only resumed, to queue`);
      }
      assert.equal(canTransition("Paused", "Running"), false, "a resumed job queues first");
      assert.equal(canTransition("Paused", "Pending"), true);
      assert.equal(canTransition("Pending", "Completed"), false, "only a running job completes");
    });

    it("runs the oldest pending job in the slot, then the next once it ends", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("second", "2026-01-02T00:00:00Z"));
      await store.insertJob(jobNamed("first", "2026-01-01T00:00:00Z"));

      const running = await claimJob(store, starting);
      assert.equal(running?.name, "first");
      assert.equal(running?.status, "Running");
      assert.equal(running?.writeRegion, "West US");
      assert.equal(running?.totalCount, 10);
      assert.equal((await store.getJobSlot()).runningJob, "first");
      assert.equal((await claimJob(store, starting))?.name, "first", "the slot's job stays the one to run");
      assert.equal((await store.getJob("second"))?.status, "Pending");

      await failJob(store, "first", { code: "Boom", message: "boom" });
      assert.equal((await store.getJob("first"))?.status, "Failed");
      assert.equal((await store.getJobSlot()).runningJob, undefined, "ending a job frees the slot");
      assert.equal((await claimJob(store, starting))?.name, "second");
    });

    it("leaves a cross-account job to workers that can read its source: it keeps its turn, and later jobs wait", async function () {
      const store = new MemoryStateStore();
      const remote = {
        ...jobNamed("remote", "2026-01-01T00:00:00Z"),
        sourceAccount: { endpoint: "https://a/" },
      };
      await store.insertJob(remote);
      await store.insertJob(jobNamed("local", "2026-01-02T00:00:00Z"));
      const readsNothing = (job: JobRecord) => canReadSource([], job);
      const readsA = (job: JobRecord) => canReadSource(["https://a/"], job);

      assert.equal(await claimJob(store, starting, readsNothing), undefined);
      assert.equal((await store.getJobSlot()).runningJob, "remote", "the job whose turn it is keeps it");
      assert.equal((await store.getJob("remote"))?.status, "Pending");
      assert.equal(await claimJob(store, starting, readsNothing), undefined, "the later job waits its turn");
      assert.equal((await claimJob(store, starting, readsA))?.name, "remote");
      assert.equal(await claimJob(store, starting, readsNothing), undefined, "nor does it join it running");
    });

    it("lets two workers racing for the slot agree on one job", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("a", "2026-01-01T00:00:00Z"));
      await store.insertJob(jobNamed("b", "2026-01-02T00:00:00Z"));
      const [one, two] = await Promise.all([claimJob(store, starting), claimJob(store, starting)]);
      assert.equal(one?.name, "a");
      assert.equal(two?.name, "a");
      assert.equal((await store.getJob("b"))?.status, "Pending");
    });

    it("refuses a transition the status does not allow, naming both, and frees the slot on pause", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("job", "2026-01-01T00:00:00Z"));
      await claimJob(store, starting);
      await requestTransition(store, "job", "Paused");
      assert.equal((await store.getJobSlot()).runningJob, undefined);
      await assert.rejects(
        requestTransition(store, "job", "Paused"),
        /Cannot pause job 'job': it is Paused\. Only a job that is Pending or Running can be paused\./,
      );
      await requestTransition(store, "job", "Pending");
      assert.equal((await claimJob(store, starting))?.status, "Running");
      await finishJob(store, "job", {
        mode: "full",
        durationMs: 5,
        sourceCount: 1,
        copiedCount: 1,
        targetCount: 1,
        sourceChecksum: "01",
        targetChecksum: "01",
        matched: true,
        verifiedAt: new Date().toISOString(),
      });
      assert.equal((await store.getJob("job"))?.status, "Completed");
      assert.equal((await transitionJob(store, "job", "Cancelled")).outcome, "refused");
      await assert.rejects(requestTransition(store, "missing", "Cancelled"), /No copy job named 'missing'/);
    });

    it("fails a job whose verification does not match, with both sides in the message", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("job", "2026-01-01T00:00:00Z"));
      await claimJob(store, starting);
      await finishJob(store, "job", {
        mode: "sampled",
        durationMs: 5,
        sourceCount: 10,
        copiedCount: 9,
        targetCount: 9,
        sampledItems: 9,
        sampleMismatches: ["o-3"],
        matched: false,
        verifiedAt: new Date().toISOString(),
      });
      const job = await store.getJob("job");
      assert.equal(job?.status, "Failed");
      assert.equal(job?.error?.code, "VerificationMismatch");
      assert.match(job?.error?.message ?? "", /source has 10 items, the copy read 9, the target has 9/);
      assert.match(job?.error?.message ?? "", /of 9 sampled items the target lacks or differs on 'o-3'/);
    });

    it("words an online job's mismatch by the two sides as they are, and guesses no cause", async function () {
      const store = new MemoryStateStore();
      await store.insertJob({ ...jobNamed("online", "2026-01-01T00:00:00Z"), mode: "Online" });
      await claimJob(store, starting);
      await finishJob(store, "online", {
        mode: "full",
        durationMs: 5,
        sourceCount: 10,
        copiedCount: 4,
        targetCount: 11,
        sourceChecksum: "aa",
        targetChecksum: "bb",
        matched: false,
        verifiedAt: new Date().toISOString(),
      });
      const message = (await store.getJob("online"))?.error?.message ?? "";
      assert.match(message, /the source has 10 items \(checksum aa\), the target has 11 \(checksum bb\)\./);
      assert.doesNotMatch(message, /copy read/);
      assert.doesNotMatch(message, /\?/, "no cause is guessed");
    });

    /** The message a job failed with by a check that did not match. */
    async function failureMessage(
      verification: Omit<Verification, "matched" | "durationMs" | "verifiedAt">,
    ): Promise<string> {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("diff", "2026-01-01T00:00:00Z"));
      await claimJob(store, starting);
      await finishJob(store, "diff", {
        ...verification,
        matched: false,
        durationMs: 5,
        verifiedAt: new Date().toISOString(),
      });
      return (await store.getJob("diff"))?.error?.message ?? "";
    }
    const none = { count: 0, sample: [] };
    const sampledCounts = { mode: "sampled", sourceCount: 2, copiedCount: 2, targetCount: 1 } as const;

    it("names what differs, a few ids of each kind with their keys, in a message of bounded length", async function () {
      const keys = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) => ({
          id: `${prefix}-${i}-${"x".repeat(300)}`,
          partitionKey: `k${i}`,
        }));
      const message = await failureMessage({
        mode: "full",
        sourceCount: 40,
        copiedCount: 40,
        targetCount: 30,
        sourceChecksum: "aa",
        targetChecksum: "bb",
        differences: {
          missing: { count: 12, sample: keys("gone", 10) },
          extra: { count: 1, sample: [{ id: "stray", partitionKey: ["a", 1] }] },
          changed: none,
          collisions: none,
          requestCharge: 81.5,
        },
      });
      assert.match(message, /the target has 30 \(checksum bb\)\. Reading both sides \(81\.5 RU\): /);
      assert.match(
        message,
        /the target lacks 12 items \('gone-0-x+…' \[pk "k0"\], .*'gone-4-x+…' \[pk "k4"\] and 7 more\)/,
      );
      assert.match(message, /holds 1 item \('stray' \[pk \["a",1\]\]\) it should not\.$/);
      assert.doesNotMatch(message, /differ|several source items|gone-5/);
      assert.ok(message.length < 1000, `${message.length} characters`);
    });

    it("names the keys several source items collapse onto, and says why only then", async function () {
      const message = await failureMessage({
        ...sampledCounts,
        differences: {
          missing: none,
          extra: none,
          changed: { count: 1, sample: [{ id: "edited", partitionKey: "p" }] },
          collisions: { count: 1, sample: [{ id: "twin", partitionKey: "shared" }] },
          requestCharge: 4,
        },
      });
      assert.match(
        message,
        /1 item \('edited' \[pk "p"\]\) differs in body; 1 target key \('twin' \[pk "shared"\]\) receives several source items\./,
      );
      assert.match(message, /share an id and the same value of the target's partition key/);
    });

    it("says so when reading both sides again finds no difference", async function () {
      const message = await failureMessage({
        ...sampledCounts,
        differences: { missing: none, extra: none, changed: none, collisions: none, requestCharge: 2 },
      });
      assert.match(
        message,
        /Reading both sides again \(2 RU\) found the target equal to the source as it is now\.$/,
      );
    });

    it("resumes a failed job: Pending with its failure cleared and its progress kept, then the slot again", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("failed", "2026-01-01T00:00:00Z"));
      await store.insertJob(jobNamed("next", "2026-01-02T00:00:00Z"));
      const running = (await claimJob(store, starting)) as JobRecord;
      await store.replaceJob({ ...running, processedCount: 4, verifyingWorker: "w1" });
      await finishJob(store, "failed", {
        mode: "sampled",
        durationMs: 5,
        sourceCount: 10,
        copiedCount: 4,
        targetCount: 4,
        matched: false,
        verifiedAt: new Date().toISOString(),
      });
      assert.equal((await claimJob(store, starting))?.name, "next", "a failed job gives the slot up");

      const resumed = await requestTransition(store, "failed", "Pending");
      assert.equal(resumed.status, "Pending");
      for (const field of ["error", "verification", "verifyingWorker", "completedAt"] as const) {
        assert.equal(resumed[field], undefined, field);
      }
      assert.equal(resumed.processedCount, 4);
      assert.equal(resumed.totalCount, 0, "the source is counted again when it runs");
      assert.equal(resumed.startedAt, running.startedAt);
      assert.equal((await claimJob(store, starting))?.name, "next", "it queues behind the running job");

      await failJob(store, "next", { code: "Boom", message: "boom" });
      const elsewhere = async () => ({ writeRegion: "East US", totalCount: 12 });
      const again = (await claimJob(store, elsewhere)) as JobRecord;
      assert.equal(again.name, "failed");
      assert.equal(again.status, "Running");
      assert.equal((await store.getJobSlot()).runningJob, "failed");
      assert.equal(again.totalCount, 12);
      assert.equal(again.writeRegion, "West US", "a failover since fails it at its first region check");
    });

    it("refuses to resume a job failed by a write-region change, saying to recreate it, and changes nothing", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("moved", "2026-01-01T00:00:00Z"));
      await claimJob(store, starting);
      await failJob(store, "moved", { code: "WriteRegionChanged", message: "moved" });
      const before = await store.getJob("moved");
      await assert.rejects(
        requestTransition(store, "moved", "Pending"),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "JobMustBeRecreated");
          assert.match(
            error.message,
            /^Cannot resume job 'moved': .*failover\. Delete job 'moved' and create it again\.$/,
          );
          return true;
        },
      );
      assert.deepEqual(await store.getJob("moved"), before);
      assert.equal((await store.getJobSlot()).runningJob, undefined);
      await assert.rejects(
        requestTransition(store, "moved", "Paused"),
        /Cannot pause job 'moved': it is Failed/,
      );
    });

    it("reopens a failed job's drained ranges with their checkpoints, and leaves open ones as they are", async function () {
      const store = new MemoryStateStore();
      await store.insertRange(rangeNamed("a", { drained: true, continuation: "a-5", processedCount: 5 }));
      await store.insertRange(rangeNamed("b", { continuation: "b-3", processedCount: 3, leaseOwner: "w1" }));
      const [, open] = await store.listRanges("job");
      await reopenRanges(store, "job");
      const [a, b] = await store.listRanges("job");
      assert.deepEqual(
        [a.drained, a.continuation, a.processedCount],
        [false, "a-5", 5],
        "read on from its checkpoint",
      );
      assert.deepEqual(b, open);
    });

    it("counts only the time a job runs in durationMs: not while it is paused", async function () {
      const store = new MemoryStateStore();
      await store.insertJob(jobNamed("job", "2026-01-01T00:00:00Z"));
      const started = (await claimJob(store, starting)) as JobRecord;
      // As if it had started an hour ago and been paused for all of it but its last 5 seconds.
      const hourAgo = Date.now() - 3_600_000;
      await store.replaceJob({
        ...started,
        startedAt: new Date(hourAgo).toISOString(),
        runningSince: new Date(Date.now() - 5_000).toISOString(),
      });
      const paused = await requestTransition(store, "job", "Paused");
      assert.ok(paused.durationMs >= 5_000 && paused.durationMs < 6_000, `${paused.durationMs} ms`);
      await requestTransition(store, "job", "Pending");
      const again = (await claimJob(store, starting)) as JobRecord;
      assert.equal(again.startedAt, new Date(hourAgo).toISOString(), "it started when it first ran");
      assert.ok(Date.now() - Date.parse(again.runningSince ?? "") >= 5_000, "its clock carries on from 5 s");
      await failJob(store, "job", { code: "Boom", message: "boom" });
      const failed = await store.getJob("job");
      assert.ok(failed!.durationMs >= 5_000 && failed!.durationMs < 6_000, `${failed!.durationMs} ms`);
    });
  });

  describe("job spec", function () {
    it("fills options left out, or given as undefined (as Pulumi passes them), with the defaults", function () {
      const spec = validateJobSpec({
        name: "job",
        source: { database: "shop", container: "orders" },
        destination: { database: "shop", container: "orders-v2" },
        options: { pageSize: undefined, workerCount: 3, targetThroughputLimit: undefined },
      });
      assert.deepEqual(spec.options, { ...defaultCopyOptions, workerCount: 3 });
    });
  });

  describe("progress line", function () {
    const running = (fields: Partial<JobRecord>): JobRecord => ({
      ...jobNamed("job", new Date(0).toISOString()),
      status: "Running",
      processedCount: 500,
      totalCount: 1000,
      durationMs: 1000,
      ...fields,
    });

    it("shows an offline job's items, speed and ETA", function () {
      assert.equal(describeProgress(running({})), "Running 500/1000 items (50%), 500 items/s, ETA 00:00:01");
    });

    it("names an online job's first pass, then shows its phase, changes applied and lag instead of speed", function () {
      const online = (phase: OnlinePhase, fields: Partial<JobRecord> = {}) =>
        running({
          mode: "Online",
          online: { phase, appliedChanges: 42, lag: { changes: 3, seconds: 1 } },
          ...fields,
        });
      assert.equal(
        describeProgress(online("InitialCopy")),
        "Running 500/1000 items (50%), InitialCopy, 500 items/s, ETA 00:00:01",
      );
      assert.equal(
        describeProgress(online("Tailing", { processedCount: 1000 })),
        "Running 1000/1000 items (100%), Tailing, 42 changes applied, lag 3 changes / 1 s",
      );
      assert.equal(
        describeProgress(online("Completing", { processedCount: 1000 })),
        "Running 1000/1000 items (100%), Completing, 42 changes applied, lag 3 changes / 1 s",
      );
      assert.equal(
        describeProgress(online("Completing", { status: "Completed", processedCount: 1000 })),
        "Completed 1000/1000 items (100%), 42 changes applied",
      );
      assert.ok(isTailing(online("Tailing")));
      assert.ok(!isTailing(online("Tailing", { status: "Paused" })));
      assert.ok(!isTailing(online("Completing")));
    });
  });

  describe("lease manager", function () {
    const leaseDurationMs = 30_000;

    /** Range r1 in a fresh store, leased by w1 at the test clock's time. */
    async function leasedRange() {
      const store = new MemoryStateStore();
      const clock = new TestClock();
      const lost: string[] = [];
      await store.insertRange(rangeNamed("r1"));
      const holder = new LeaseManager({
        store,
        workerId: "w1",
        leaseDurationMs,
        clock,
        onLost: (id) => lost.push(id),
      });
      const lease = await holder.acquire((await store.getRange("job", "r1")) as RangeRecord);
      assert.ok(lease);
      return { store, clock, lost, holder, lease };
    }

    it("keeps a lease past its period by renewing it, whatever the page in flight does", async function () {
      const { store, clock, holder, lease } = await leasedRange();
      // A page that takes three lease periods to write: renewals keep it.
      for (let i = 0; i < 12; i++) {
        clock.advance(leaseDurationMs / 4);
        await holder.renewAll();
      }
      const record = (await store.getRange("job", "r1")) as RangeRecord;
      assert.equal(record.leaseOwner, "w1");
      assert.ok((record.leaseExpiresAt as number) > clock.now());
      const rival = planBalance([{ ...record, finished: false }], ["w1", "w2"], "w2", clock.now(), new Set());
      assert.deepEqual(rival.take, [], "a renewed lease is not free");
      assert.equal(await holder.checkpoint("r1", { ...record, processedCount: 5 }), true);
      assert.equal(lease.signal.aborted, false);
    });

    it("loses a lease it could not renew once another worker has taken it, and says so", async function () {
      const { store, clock, lost, holder, lease } = await leasedRange();
      store.failWrites = 1;
      clock.advance(leaseDurationMs + 1);
      await holder.renewAll();
      assert.equal(lease?.signal.aborted, true, "a lease that ran out unrenewed stops its copy");
      assert.deepEqual(lost, ["r1"]);

      const rival = new LeaseManager({ store, workerId: "w2", leaseDurationMs, clock });
      const expired = (await store.getRange("job", "r1")) as RangeRecord;
      assert.deepEqual(
        planBalance([{ ...expired, finished: false }], ["w2"], "w2", clock.now(), new Set()).take,
        ["r1"],
      );
      assert.ok(await rival.acquire(expired));
      assert.equal(await holder.checkpoint("r1", { ...expired, processedCount: 99 }), false);
      assert.equal(((await store.getRange("job", "r1")) as RangeRecord).processedCount, 0);
    });

    it("notices at its next write that a rival took the range, and writes nothing over it", async function () {
      const { store, clock, lost, holder, lease } = await leasedRange();
      const stolen = (await store.getRange("job", "r1")) as RangeRecord;
      await store.replaceRange({
        ...stolen,
        leaseOwner: "w2",
        leaseExpiresAt: clock.now() + leaseDurationMs,
      });
      const fields = {
        continuation: "c",
        processedCount: 7,
        checksum: "07",
        processedByWorker: {},
        drained: false,
      };
      assert.equal(await holder.checkpoint("r1", fields), false);
      assert.equal(lease?.signal.aborted, true);
      assert.deepEqual(lost, ["r1"]);
      assert.equal(((await store.getRange("job", "r1")) as RangeRecord).leaseOwner, "w2");
    });

    it("serializes a checkpoint and a renewal of the same range, and releases for others", async function () {
      const { store, holder } = await leasedRange();
      const fields = {
        continuation: "c",
        processedCount: 3,
        checksum: "03",
        processedByWorker: { w1: 3 },
        drained: false,
      };
      const [checkpointed] = await Promise.all([holder.checkpoint("r1", fields), holder.renewAll()]);
      assert.equal(checkpointed, true);
      assert.equal(((await store.getRange("job", "r1")) as RangeRecord).processedCount, 3);
      await holder.release("r1");
      const released = (await store.getRange("job", "r1")) as RangeRecord;
      assert.equal(released.leaseOwner, undefined);
      assert.equal(released.continuation, "c", "releasing keeps the checkpoint");
      assert.deepEqual([...holder.heldIds()], []);
    });
  });

  describe("balancer", function () {
    const now = 5_000;
    const live = (owner: string, id: string): RangeLeaseView => ({
      id,
      finished: false,
      leaseOwner: owner,
      leaseExpiresAt: now + 1000,
    });
    const free = (id: string): RangeLeaseView => ({ id, finished: false });

    it("gives a lone worker every open range, and ignores finished ones", function () {
      const ranges = [free("a"), free("b"), { ...free("c"), finished: true }, free("d")];
      assert.deepEqual(planBalance(ranges, [], "w1", now, new Set()), {
        share: 3,
        take: ["a", "b", "d"],
        release: [],
      });
    });

    it("gives back the excess when a second worker appears, and the newcomer takes what is freed", function () {
      const ranges = ["a", "b", "c", "d"].map((id) => live("w1", id));
      const plan = planBalance(ranges, ["w1", "w2"], "w1", now, new Set(["a", "b", "c", "d"]));
      assert.deepEqual(plan, { share: 2, take: [], release: ["c", "d"] });
      assert.deepEqual(planBalance(ranges, ["w1", "w2"], "w2", now, new Set()).take, [], "no stealing");
      const freed = [live("w1", "a"), live("w1", "b"), free("c"), free("d")];
      assert.deepEqual(planBalance(freed, ["w1", "w2"], "w2", now, new Set()).take, ["c", "d"]);
    });

    it("takes over the ranges of a worker whose leases expired", function () {
      const ranges = [live("w1", "a"), { ...live("dead", "b"), leaseExpiresAt: now - 1 }];
      assert.deepEqual(planBalance(ranges, ["w1", "w2"], "w2", now, new Set()).take, ["b"]);
    });

    it("takes back its own leases first after a restart under the same id", function () {
      const ranges = [free("a"), live("w1", "b")];
      const plan = planBalance(ranges, ["w1", "w2"], "w1", now, new Set());
      assert.deepEqual(plan.take, ["b"]);
    });
  });

  describe("throughput pacer", function () {
    it("runs at a known ceiling from the start and never grows past it", function () {
      let time = 0;
      const pacer = new ThroughputPacer(4000, () => time);
      assert.equal(pacer.rate, 4000);
      for (let i = 0; i < 50; i++) {
        time += 100;
        pacer.onCharged(400);
      }
      assert.equal(pacer.rate, 4000);
      pacer.setCeiling(1500);
      assert.equal(pacer.rate, 1500, "a lower ceiling (a cap, a smaller share) applies at once");
    });

    it("drops under a 429 to a little under what got through, and grows back to the ceiling while calm", function () {
      let time = 0;
      const pacer = new ThroughputPacer(4000, () => time);
      for (let i = 0; i < 10; i++) {
        time += 100;
        pacer.onCharged(300); // 3,000 RU/s got through
      }
      pacer.onThrottled();
      assert.ok(pacer.rate < 3000 && pacer.rate >= 2000, `rate ${pacer.rate}`);
      const dropped = pacer.rate;
      pacer.onThrottled();
      assert.equal(pacer.rate, dropped, "one burst of 429s counts once");
      for (let i = 0; i < 600; i++) {
        time += 100;
        pacer.onCharged(pacer.rate / 10);
      }
      assert.equal(pacer.rate, 4000);
    });

    it("lets a waiting request go even when an earlier one settles for less than it reserved", async function () {
      let time = 0;
      const pacer = new ThroughputPacer(100, () => time);
      const early = pacer.reserve(300);
      const late = pacer.reserve(300);
      pacer.settle(300, 10); // the first was charged far less than it reserved
      time += 10_000; // the rate has allowed 1,000 RU since: enough for both
      const stuck = new Promise((resolve) => setTimeout(resolve, 5_000, "stuck"));
      assert.notEqual(await Promise.race([Promise.all([early, late]), stuck]), "stuck");
    });

    it("probes with a slow start where no budget is known", function () {
      let time = 0;
      const pacer = new ThroughputPacer(undefined, () => time);
      const initial = pacer.rate;
      for (let i = 0; i < 8; i++) {
        time += 250;
        pacer.onCharged(pacer.rate / 4);
      }
      assert.ok(pacer.rate > initial * 2, `rate ${pacer.rate} after 2 s of slow start from ${initial}`);
    });
  });

  describe("concurrency window", function () {
    it("admits up to its limit, then one per release", async function () {
      const window = new AdaptiveConcurrency(1, 64, 2);
      const first = await window.acquire();
      await window.acquire();
      let third = false;
      const waiting = window.acquire().then(() => (third = true));
      await Promise.resolve();
      assert.equal(third, false);
      first();
      await waiting;
      assert.equal(third, true);
    });

    it("halves on a throttle once per cool-down and widens on success", function () {
      const window = new AdaptiveConcurrency(1, 64, 16, 500);
      window.onThrottle(1000);
      window.onThrottle(1200);
      assert.equal(window.limit, 8);
      window.onThrottle(1600);
      assert.equal(window.limit, 4);
      for (let i = 0; i < 20; i++) window.onSuccess();
      assert.ok(window.limit > 4);
    });
  });
});
