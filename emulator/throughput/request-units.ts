/**
 * The emulator's request-unit model. It is size-based and deterministic so benchmarks are repeatable; the
 * numbers follow the service's published rules of thumb (a 1 KB point read costs 1 RU, a 1 KB write about 5).
 *
 * | operation                         | charge                                        |
 * |-----------------------------------|-----------------------------------------------|
 * | point read                        | 1 RU per started KB of the item               |
 * | create, replace, upsert, patch    | 5 RU per started KB of the written item        |
 * | delete                            | 5 RU                                           |
 * | query or change-feed page         | 2 RU + 1 RU per started KB returned            |
 * | metadata (databases, containers…) | 1 RU, not counted against provisioned budgets  |
 */
const kilobyte = 1024;

function startedKilobytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / kilobyte));
}

export const requestUnits = {
  pointRead: (itemBytes: number) => startedKilobytes(itemBytes),
  write: (itemBytes: number) => 5 * startedKilobytes(itemBytes),
  delete: () => 5,
  feedPage: (returnedBytes: number) => 2 + (returnedBytes === 0 ? 0 : startedKilobytes(returnedBytes)),
  metadata: () => 1,
};
