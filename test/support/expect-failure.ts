import assert from "node:assert/strict";

/** The error `promise` rejects with; the test fails if it resolves. */
export async function expectFailure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  assert.fail("expected a failure");
}
