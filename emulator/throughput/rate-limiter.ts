/**
 * Provisioned throughput, enforced per second like the service: each offer is a token bucket refilled at its
 * RU/s and holding at most one second's worth. A request is admitted while the bucket is positive and its
 * charge is taken afterwards (the service also charges after the fact), so a bucket can go into debt; while
 * it is in debt requests get 429 with the time until it is positive again.
 */
interface Bucket {
  tokens: number;
  ratePerSecond: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Milliseconds to wait before the budget admits a request, or 0 if it may run now. */
  retryAfterMs(budgetId: string, ratePerSecond: number): number {
    const bucket = this.refill(budgetId, ratePerSecond);
    if (bucket.tokens > 0) return 0;
    return Math.max(1, Math.ceil(((-bucket.tokens + 1) / ratePerSecond) * 1000));
  }

  charge(budgetId: string, ratePerSecond: number, requestUnits: number): void {
    this.refill(budgetId, ratePerSecond).tokens -= requestUnits;
  }

  private refill(budgetId: string, ratePerSecond: number): Bucket {
    const now = this.clock();
    let bucket = this.buckets.get(budgetId);
    if (!bucket) {
      bucket = { tokens: ratePerSecond, ratePerSecond, updatedAt: now };
      this.buckets.set(budgetId, bucket);
    }
    if (bucket.ratePerSecond !== ratePerSecond) bucket.ratePerSecond = ratePerSecond;
    const elapsedSeconds = (now - bucket.updatedAt) / 1000;
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + elapsedSeconds * ratePerSecond);
    bucket.updatedAt = now;
    return bucket;
  }
}
