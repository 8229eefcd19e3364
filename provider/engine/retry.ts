import { backOff } from "exponential-backoff";
import { isTransient } from "./errors";

/**
 * Retries a call through transient faults (503, 408, 410, resets, timeouts) with full-jitter exponential
 * back-off; anything else, or a fault that outlasts the attempts, is thrown to the caller.
 */
export interface RetryPolicy {
  attempts: number;
  startingDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 12, startingDelayMs: 100, maxDelayMs: 10_000 };

export function withRetries<T>(call: () => Promise<T>, policy: RetryPolicy = defaultRetryPolicy): Promise<T> {
  return backOff(call, {
    numOfAttempts: policy.attempts,
    startingDelay: policy.startingDelayMs,
    maxDelay: policy.maxDelayMs,
    jitter: "full",
    retry: (error: unknown) => isTransient(error),
  });
}
