import { backOff } from "exponential-backoff";
import { isTransient } from "./errors";

/**
 * Retries a call through transient faults (503, 408, 410, resets, timeouts) with full-jitter exponential
 * back-off; anything else, or a fault that outlasts the attempts, is thrown to the caller. Throttling is
 * not retried here: the SDK's throttling policy already has (see connection.ts).
 */
export interface RetryPolicy {
  attempts: number;
  startingDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 12, startingDelayMs: 100, maxDelayMs: 10_000 };

/**
 * For bulk writes: one `items.bulk` call fans out to every target partition it touches and fails if any of
 * them does, so under a throttling storm whole calls fail far more often than single requests. Many quick
 * attempts (re-sent writes are harmless: see insert-conflicts.ts) ride that out where a few long ones would give up.
 */
export const bulkWriteRetryPolicy: RetryPolicy = { attempts: 60, startingDelayMs: 50, maxDelayMs: 2_000 };

/** `signal`, once aborted, ends the retries: the call's abort is not a fault to ride out. */
export function withRetries<T>(
  call: () => Promise<T>,
  policy: RetryPolicy = defaultRetryPolicy,
  signal?: AbortSignal,
): Promise<T> {
  return backOff(call, {
    numOfAttempts: policy.attempts,
    startingDelay: policy.startingDelayMs,
    maxDelay: policy.maxDelayMs,
    jitter: "full",
    retry: (error: unknown) => !signal?.aborted && isTransient(error),
  });
}
