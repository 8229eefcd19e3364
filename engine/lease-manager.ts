import { systemClock, type Clock } from "./clock";
import { EtagConflict, type StateStore } from "./state-store";
import type { RangeRecord } from "./types";

/**
 * A worker's leases on one job's feed ranges, in the shape of the change feed processor's lease manager:
 * acquire, renew on its own timer, checkpoint, release. Renewal does not wait for a page to be written, so a
 * page slower than the lease never loses it while its worker lives. Losing a lease (another worker took it
 * after it expired) is an explicit outcome: the lease's signal aborts, and the range's copy stops.
 *
 * Every write to a held range goes through here, one at a time per range, as a conditional replace. The
 * fields a caller writes are absolute values, never increments, so a write retried after a reset that had
 * in fact gone through does no harm.
 */
export interface Lease {
  readonly rangeId: string;
  /** The range as last written or read by this worker. */
  readonly record: RangeRecord;
  /** Aborted when the lease is lost or released. */
  readonly signal: AbortSignal;
}

/** What a first-pass page, or (online jobs) a page of changes applied, moves forward. */
export type CheckpointFields =
  | Pick<
      RangeRecord,
      "continuation" | "processedCount" | "skippedCount" | "checksum" | "processedByWorker" | "drained"
    >
  | Pick<RangeRecord, "changesContinuation" | "appliedChanges" | "caughtUpAt" | "lag">;

interface HeldLease extends Lease {
  record: RangeRecord;
  controller: AbortController;
  /** The last write queued for this range; the next one starts after it. */
  queue: Promise<unknown>;
}

export interface LeaseManagerOptions {
  store: StateStore;
  workerId: string;
  leaseDurationMs: number;
  clock?: Clock;
  /** Called once for each lease lost to another worker. */
  onLost?: (rangeId: string) => void;
}

export class LeaseManager {
  private readonly held = new Map<string, HeldLease>();
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LeaseManagerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Renews every held lease a few times per lease period until `stop`. */
  start(): void {
    // renewAll handles each renewal's failure itself, and the next tick renews again: nothing to wait for.
    this.timer ??= setInterval(() => void this.renewAll(), this.options.leaseDurationMs / 4);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  heldIds(): Set<string> {
    return new Set(this.held.keys());
  }

  /** Leases `range` (free, expired, or left by this worker's id) with a conditional write. */
  async acquire(range: RangeRecord): Promise<Lease | undefined> {
    try {
      const record = await this.options.store.replaceRange(this.leased(range));
      const controller = new AbortController();
      const lease: HeldLease = {
        rangeId: range.id,
        record,
        controller,
        signal: controller.signal,
        queue: Promise.resolve(),
      };
      this.held.set(range.id, lease);
      return lease;
    } catch (error) {
      if (error instanceof EtagConflict) return undefined;
      throw error;
    }
  }

  /** Writes a checkpoint and extends the lease; false if the lease has been lost. */
  checkpoint(rangeId: string, fields: CheckpointFields): Promise<boolean> {
    return this.write(rangeId, fields);
  }

  /** Extends every held lease; runs on the timer and may be called directly (tests drive it this way). */
  async renewAll(): Promise<void> {
    await Promise.all(
      [...this.held.keys()].map((rangeId) =>
        this.write(rangeId, {}).catch(() => {
          // A renewal that failed through every retry is tried again on the next tick; once the lease has
          // run out, another worker may have taken the range, so stop copying it.
          const lease = this.held.get(rangeId);
          if (lease && (lease.record.leaseExpiresAt ?? 0) <= this.clock.now()) this.lose(lease);
        }),
      ),
    );
  }

  /** Gives the lease up (after the range's writes have ended), so another worker can take it at once. */
  async release(rangeId: string): Promise<void> {
    const lease = this.held.get(rangeId);
    if (!lease) return;
    this.held.delete(rangeId);
    lease.controller.abort();
    await lease.queue.catch(() => undefined);
    const current = lease.record;
    if (current.leaseOwner !== this.options.workerId) return;
    await this.options.store
      .replaceRange({ ...current, leaseOwner: undefined, leaseExpiresAt: undefined })
      .catch(() => undefined); // it expires on its own
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((rangeId) => this.release(rangeId)));
  }

  private leased(range: RangeRecord): RangeRecord {
    return {
      ...range,
      leaseOwner: this.options.workerId,
      leaseExpiresAt: this.clock.now() + this.options.leaseDurationMs,
    };
  }

  private write(rangeId: string, fields: Partial<CheckpointFields>): Promise<boolean> {
    const lease = this.held.get(rangeId);
    if (!lease || lease.signal.aborted) return Promise.resolve(false);
    const result = lease.queue.then(() => this.replace(lease, fields));
    lease.queue = result.catch(() => undefined);
    return result;
  }

  private async replace(lease: HeldLease, fields: Partial<CheckpointFields>): Promise<boolean> {
    for (;;) {
      if (lease.signal.aborted) return false;
      try {
        lease.record = await this.options.store.replaceRange(this.leased({ ...lease.record, ...fields }));
        return true;
      } catch (error) {
        if (!(error instanceof EtagConflict)) throw error;
      }
      // Someone else wrote the range: if it still names this worker (our own write that went through
      // before a reset), write again over it; otherwise the lease is gone.
      const fresh = await this.options.store.getRange(lease.record.jobName, lease.rangeId);
      if (!fresh || fresh.leaseOwner !== this.options.workerId) {
        this.lose(lease);
        return false;
      }
      lease.record = fresh;
    }
  }

  private lose(lease: HeldLease): void {
    if (this.held.get(lease.rangeId) !== lease) return;
    this.held.delete(lease.rangeId);
    lease.controller.abort();
    this.options.onLost?.(lease.rangeId);
  }
}
