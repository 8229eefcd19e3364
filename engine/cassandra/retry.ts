// TEMPORARY stand-in until branch cass-node's retry.ts is merged (same signature).
import { errors, types } from "cassandra-driver";

const retried = new Set<number>([
  types.responseErrorCodes.overloaded,
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.readTimeout,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.isBootstrapping,
]);

function isRetryable(error: unknown): boolean {
  if (error instanceof errors.ResponseError) return retried.has(error.code);
  return error instanceof errors.NoHostAvailableError || error instanceof errors.OperationTimedOutError;
}

export async function withCassandraRetries<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 12 || signal?.aborted || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100 * 2 ** attempt, 5000)));
    }
  }
}
