import { EtagConflict, type JobSlot, type StateStore, type WorkerHeartbeat } from "../../engine/state-store";
import type { JobRecord, RangeRecord } from "../../engine/types";

/**
 * The engine's StateStore in memory, for unit tests of the lifecycle, leases and balancing: the same etag
 * rules as the Cosmos one (a replace or delete with a stale `_etag` throws EtagConflict; an insert of an
 * existing id returns undefined). `failWrites` makes the next range writes throw, as an unreachable account
 * would.
 */
export class MemoryStateStore implements StateStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly ranges = new Map<string, RangeRecord>();
  private slot: JobSlot = { id: "job-slot", _etag: "0" };
  private readonly heartbeats = new Map<string, WorkerHeartbeat>();
  private etags = 0;
  failWrites = 0;

  private stamp<T extends { _etag?: string }>(document: T): T {
    return structuredClone({ ...document, _etag: String(++this.etags) });
  }

  private check(stored: { _etag?: string } | undefined, given: { _etag?: string }, what: string): void {
    if (!stored) throw Object.assign(new Error(`${what} not found`), { code: 404 });
    if (given._etag && given._etag !== stored._etag) throw new EtagConflict(what);
  }

  async getJob(name: string) {
    return structuredClone(this.jobs.get(name));
  }

  async listJobs() {
    return [...this.jobs.values()]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((j) => structuredClone(j));
  }

  async insertJob(job: JobRecord) {
    if (this.jobs.has(job.name)) return undefined;
    this.jobs.set(job.name, this.stamp(job));
    return this.getJob(job.name);
  }

  async replaceJob(job: JobRecord) {
    this.check(this.jobs.get(job.name), job, `job ${job.name}`);
    this.jobs.set(job.name, this.stamp(job));
    return (await this.getJob(job.name)) as JobRecord;
  }

  async deleteJob(name: string) {
    for (const [id, range] of this.ranges) if (range.jobName === name) this.ranges.delete(id);
    return this.jobs.delete(name);
  }

  async listRanges(jobName: string) {
    return [...this.ranges.values()]
      .filter((range) => range.jobName === jobName)
      .sort((a, b) => a.minInclusive.localeCompare(b.minInclusive))
      .map((range) => structuredClone(range));
  }

  async getRange(_jobName: string, id: string) {
    return structuredClone(this.ranges.get(id));
  }

  async insertRange(range: RangeRecord) {
    if (this.ranges.has(range.id)) return undefined;
    this.ranges.set(range.id, this.stamp(range));
    return this.getRange(range.jobName, range.id);
  }

  async replaceRange(range: RangeRecord) {
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw Object.assign(new Error("connection reset"), { code: "ECONNRESET" });
    }
    this.check(this.ranges.get(range.id), range, `range ${range.id}`);
    this.ranges.set(range.id, this.stamp(range));
    return (await this.getRange(range.jobName, range.id)) as RangeRecord;
  }

  async deleteRange(range: RangeRecord) {
    const stored = this.ranges.get(range.id);
    if (!stored) return;
    this.check(stored, range, `range ${range.id}`);
    this.ranges.delete(range.id);
  }

  async getJobSlot() {
    return structuredClone(this.slot);
  }

  async replaceJobSlot(slot: JobSlot) {
    this.check(this.slot, slot, "the job slot");
    this.slot = this.stamp(slot);
    return this.getJobSlot();
  }

  async beat(heartbeat: Omit<WorkerHeartbeat, "id">) {
    this.heartbeats.set(heartbeat.workerId, { ...heartbeat, id: `worker:${heartbeat.workerId}` });
  }

  async removeHeartbeat(workerId: string) {
    this.heartbeats.delete(workerId);
  }

  async liveWorkers(since: number) {
    return [...this.heartbeats.values()].filter((heartbeat) => heartbeat.lastSeen > since);
  }
}
