import { isTransient } from "../../engine/errors";

/**
 * Reads `read` every 100 ms until `done` holds for its value, which it returns; fails after `timeoutMs`. A
 * read that fails transiently (a connection reset on a loaded machine) is a poll without news, not a
 * failure of what is awaited.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().then(
      (result) => ({ result }),
      (error: unknown) => {
        if (!isTransient(error)) throw error;
        return undefined;
      },
    );
    if (value && done(value.result)) return value.result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
