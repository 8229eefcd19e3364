/**
 * Provisioned throughput, enforced per second like the service: each offer is a token bucket refilled at its
 * RU/s and holding at most one second's worth. A request is admitted while the bucket is positive and its
 * charge is taken afterwards (the service also charges after the fact), so a bucket can go into debt.
 *
 * A throttled request is told to come back when there will be room for it *behind the requests throttled
 * before it*: each 429 reserves one average charge of future capacity. Without that, every client of a burst
 * would be told the same instant, only one would get in, and the rest would burn their retries.
 */
interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Moving average of the charges taken, the size of one reservation. */
  averageCharge: number;
  /** When capacity already promised to throttled requests runs out. */
  reservedUntil: number;
}

const averageWeight = 0.1;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Milliseconds to wait before the budget admits a request, or 0 if it may run now. */
  retryAfterMs(budgetId: string, ratePerSecond: number): number {
    const now = this.clock();
    const bucket = this.refill(budgetId, ratePerSecond, now);
    if (bucket.tokens > 0) return 0;
    const whenPositive = now + ((-bucket.tokens + 1) / ratePerSecond) * 1000;
    const slot = Math.max(whenPositive, bucket.reservedUntil);
    bucket.reservedUntil = slot + (bucket.averageCharge / ratePerSecond) * 1000;
    return Math.max(1, Math.ceil(slot - now));
  }

  charge(budgetId: string, ratePerSecond: number, requestUnits: number): void {
    const bucket = this.refill(budgetId, ratePerSecond, this.clock());
    bucket.tokens -= requestUnits;
    bucket.averageCharge += (requestUnits - bucket.averageCharge) * averageWeight;
  }

  private refill(budgetId: string, ratePerSecond: number, now: number): Bucket {
    let bucket = this.buckets.get(budgetId);
    if (!bucket) {
      bucket = { tokens: ratePerSecond, updatedAt: now, averageCharge: 1, reservedUntil: now };
      this.buckets.set(budgetId, bucket);
    }
    const elapsedSeconds = (now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + elapsedSeconds * ratePerSecond);
    bucket.updatedAt = now;
    return bucket;
  }
}
