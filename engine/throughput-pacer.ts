import { setTimeout as sleep } from "node:timers/promises";

/**
 * Paces requests in request units per second, so a copy keeps a container's budget busy without storms of
 * throttled requests, and under any cap the job was given.
 *
 * Where the rate to keep is known (the container's provisioned throughput, this worker's share of it, or a
 * cap), the pacer runs at that ceiling from the first request. Where it is not (serverless), it is found
 * the way TCP finds bandwidth: a slow start that multiplies the rate while nothing is throttled, then, from
 * the first 429, a little under what actually got through, a few percent more each calm second, and a drop
 * again on the next 429. A 429 under a known ceiling (someone else spends the same budget) drops the rate
 * the same way; it grows back to the ceiling while calm.
 *
 * Each request reserves its expected charge before it is sent (it may then wait), so concurrent requests
 * share one rate.
 */
const initialRatePerSecond = 1000;
const slowStartFactor = 1.3;
const slowStartStepMs = 250;
const increasePerSecond = 1.02;
/** Under a known ceiling a 429 is someone else's spending or a misaligned burst: recover faster. */
const increasePerSecondUnderCeiling = 1.1;
const decreaseFactor = 0.8;
const calmAfterThrottleMs = 1000;
/** Throttles this soon after a decrease belong to the same burst of 429s and do not decrease again. */
const decreaseCoolDownMs = 300;
/** How much unused rate may be saved up, as a share of a second. */
const burstSeconds = 0.1;
const measureWindowMs = 1000;
const maxWaitSliceMs = 100;

export class ThroughputPacer {
  private ratePerSecond = initialRatePerSecond;
  private slowStart = true;
  private ceilingPerSecond: number | undefined;
  /** RU reserved (and settled) so far, and RU the rate has allowed so far: their difference is the debt. */
  private reservedTotal = 0;
  private allowedTotal = 0;
  /** The furthest position a waiting reservation was given (settling may move `reservedTotal` back). */
  private lastTicket = 0;
  private updatedAt: number;
  private lastThrottleAt = -Infinity;
  private lastDecreaseAt = -Infinity;
  private lastIncreaseAt: number;
  private charged: { at: number; requestUnits: number }[] = [];

  /** `now` is a monotonic clock in milliseconds; tests pass their own. */
  constructor(
    ceilingPerSecond?: number,
    private readonly now: () => number = () => performance.now(),
    private readonly minimumRatePerSecond = 10,
  ) {
    this.updatedAt = now();
    this.lastIncreaseAt = now();
    this.setCeiling(ceilingPerSecond);
  }

  /** The current limit in RU/s. */
  get rate(): number {
    return this.ratePerSecond;
  }

  get ceiling(): number | undefined {
    return this.ceilingPerSecond;
  }

  /**
   * The most RU/s to spend, or undefined to probe for it. A known ceiling ends the slow start: the rate
   * moves to it at once.
   */
  setCeiling(ceilingPerSecond: number | undefined): void {
    if (ceilingPerSecond === this.ceilingPerSecond) return;
    this.ceilingPerSecond = ceilingPerSecond;
    if (ceilingPerSecond === undefined) return;
    this.slowStart = false;
    this.ratePerSecond = Math.max(this.minimumRatePerSecond, ceilingPerSecond);
  }

  /**
   * Reserves `requestUnits` of the rate, waiting until the rate has allowed everything reserved before it
   * and this. The wait is re-checked at least every `maxWaitSliceMs`, so a rate raised meanwhile (a larger
   * share once another worker's ranges have drained) applies to requests already waiting.
   */
  async reserve(requestUnits: number, signal?: AbortSignal): Promise<void> {
    this.refill();
    this.reservedTotal += requestUnits;
    const ticket = this.reservedTotal;
    this.lastTicket = Math.max(this.lastTicket, ticket);
    while (this.allowedTotal < ticket) {
      const waitMs = ((ticket - this.allowedTotal) / this.ratePerSecond) * 1000;
      await sleep(Math.min(maxWaitSliceMs, waitMs), undefined, { signal });
      this.refill();
    }
  }

  /** The rate's allowance up to now, with at most a burst's worth saved up. */
  private refill(): void {
    const now = this.now();
    const earned = ((now - this.updatedAt) / 1000) * this.ratePerSecond;
    this.updatedAt = now;
    this.allowedTotal = Math.min(
      Math.max(this.reservedTotal, this.lastTicket) + this.ratePerSecond * burstSeconds,
      this.allowedTotal + earned,
    );
  }

  /**
   * A request reserved `reservedUnits` and was charged `chargedUnits`: the difference is paid (or given
   * back) now, so estimates that miss do not let the rate drift past the ceiling.
   */
  settle(reservedUnits: number, chargedUnits: number): void {
    this.reservedTotal += chargedUnits - reservedUnits;
  }

  /** One request under this pacer: `estimate` reserved before it is sent, then settled at what it cost. */
  async spend<T extends { requestCharge: number }>(
    estimate: number,
    send: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.reserve(estimate, signal);
    const response = await send();
    this.settle(estimate, response.requestCharge);
    this.onCharged(response.requestCharge);
    return response;
  }

  /** RU the target charged for accepted work; while calm, the rate grows (fast in slow start). */
  onCharged(requestUnits: number): void {
    const now = this.now();
    this.charged.push({ at: now, requestUnits });
    this.charged = this.charged.filter((entry) => now - entry.at <= measureWindowMs);
    if (now - this.lastThrottleAt < calmAfterThrottleMs) return;
    // Grow only a rate that is being used: a copy bound by its reads must not bank a rate it never tried.
    if (this.measured(now) < this.ratePerSecond / 2) return;
    const calmFactor =
      this.ceilingPerSecond === undefined ? increasePerSecond : increasePerSecondUnderCeiling;
    const [factor, stepMs] = this.slowStart ? [slowStartFactor, slowStartStepMs] : [calmFactor, 1000];
    if (now - this.lastIncreaseAt >= stepMs) {
      this.ratePerSecond = Math.min(this.ceilingPerSecond ?? Infinity, this.ratePerSecond * factor);
      this.lastIncreaseAt = now;
    }
  }

  /** The target answered 429: drop to a little under what got through (once per burst of 429s). */
  onThrottled(): void {
    const now = this.now();
    this.lastThrottleAt = now;
    if (now - this.lastDecreaseAt < decreaseCoolDownMs) return;
    this.lastDecreaseAt = now;
    this.slowStart = false;
    const measured = this.measured(now);
    this.ratePerSecond = Math.max(
      this.minimumRatePerSecond,
      Math.min(this.ratePerSecond, measured || Infinity) * decreaseFactor,
    );
    this.allowedTotal = Math.min(this.allowedTotal, this.reservedTotal);
  }

  /** RU/s accepted over the last measuring window. */
  private measured(now: number): number {
    const window = Math.min(measureWindowMs, Math.max(1, now - (this.charged[0]?.at ?? now)));
    return (this.charged.reduce((sum, entry) => sum + entry.requestUnits, 0) / window) * 1000;
  }
}
