/**
 * Calls `work` on every item, at most `inFlight` calls at once, in the items' order of starting; resolves
 * when all have ended (rejects with the first failure). For the engine's bounded bursts of point reads.
 */
export async function forEachInFlight<T>(
  items: readonly T[],
  inFlight: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
}
