import * as cassandra from "cassandra-driver";
import { backOff } from "exponential-backoff";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultRetryPolicy, type RetryPolicy } from "../retry";

/**
 * Retries for Cassandra calls. Azure Cosmos DB for Apache Cassandra answers rate limiting with an
 * OverloadedException whose message carries `RetryAfterMs=<n>`; the driver has no policy that waits for it
 * (its default sends the request to the next host at once, and with one endpoint that is the same account),
 * so it is honoured here, as the Cosmos SDK honours a 429's retry-after on the NoSQL path. Other transient
 * faults get full-jitter exponential back-off. Only idempotent calls belong here (CQL inserts and deletes
 * are; a lightweight transaction retried after a timeout may already have been applied).
 */
export interface CassandraRetryPolicy extends RetryPolicy {
  /** How long, in all, to keep waiting out overloaded answers' retry-after before giving up with the error. */
  maxOverloadedWaitMs: number;
}

/** Overload waits as long as the NoSQL path waits out 429s (see ../connection.ts). */
export const cassandraRetryPolicy: CassandraRetryPolicy = {
  ...defaultRetryPolicy,
  maxOverloadedWaitMs: 300_000,
};

const { responseErrorCodes } = cassandra.types;
const overloadedCode: number = responseErrorCodes.overloaded;
const transientResponseCodes = new Set<number>([
  responseErrorCodes.overloaded,
  responseErrorCodes.isBootstrapping,
  responseErrorCodes.unavailableException,
  responseErrorCodes.readTimeout,
  responseErrorCodes.writeTimeout,
]);

/** The errors the driver gave up with on each host, when it gave up on all of them. */
function hostErrors(error: cassandra.errors.NoHostAvailableError): unknown[] {
  return Object.values((error.innerErrors ?? {}) as Record<string, unknown>);
}

/**
 * The wait an overloaded answer asks for, in milliseconds, or undefined for any other error or an overloaded
 * answer that names none. When the driver gave up on every host, the longest wait any of them asked for.
 */
export function retryAfterMs(error: unknown): number | undefined {
  if (error instanceof cassandra.errors.ResponseError && error.code === overloadedCode) {
    const match = /RetryAfterMs=(\d+)/i.exec(error.message);
    return match ? Number(match[1]) : undefined;
  }
  if (error instanceof cassandra.errors.NoHostAvailableError) {
    const waits = hostErrors(error)
      .map(retryAfterMs)
      .filter((wait): wait is number => wait !== undefined);
    return waits.length > 0 ? Math.max(...waits) : undefined;
  }
  return undefined;
}

/** Faults that pass: no host reachable for now, client or server timeouts, unavailable replicas, overload. */
export function isTransientCassandraFault(error: unknown): boolean {
  return (
    error instanceof cassandra.errors.NoHostAvailableError ||
    error instanceof cassandra.errors.OperationTimedOutError ||
    (error instanceof cassandra.errors.ResponseError && transientResponseCodes.has(error.code))
  );
}

/**
 * Runs `call` until it succeeds, retrying transient faults with back-off and overloaded answers after the wait
 * they carry; anything else, or a fault that outlasts the policy, is thrown as it came. `signal`, once
 * aborted, ends the retries (the last error is thrown).
 */
export async function withCassandraRetries<T>(
  call: () => Promise<T>,
  signal?: AbortSignal,
  policy: CassandraRetryPolicy = cassandraRetryPolicy,
): Promise<T> {
  let overloadedWaitMs = 0;
  for (;;) {
    try {
      // Errors that carry a retry-after leave the back-off loop to be waited out below, exactly.
      return await backOff(call, {
        numOfAttempts: policy.attempts,
        startingDelay: policy.startingDelayMs,
        maxDelay: policy.maxDelayMs,
        jitter: "full",
        retry: (error: unknown) =>
          !signal?.aborted && isTransientCassandraFault(error) && retryAfterMs(error) === undefined,
      });
    } catch (error) {
      const retryAfter = retryAfterMs(error);
      // At least a millisecond, so a server that keeps saying 0 still exhausts the budget.
      const waitMs = Math.max(retryAfter ?? 0, 1);
      if (
        retryAfter === undefined ||
        signal?.aborted ||
        overloadedWaitMs + waitMs > policy.maxOverloadedWaitMs
      ) {
        throw error;
      }
      overloadedWaitMs += waitMs;
      await sleep(waitMs, undefined, { signal }).catch(() => {
        throw error;
      });
    }
  }
}
