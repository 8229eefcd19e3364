import {
  ChangeFeedMode,
  ChangeFeedStartFrom,
  StatusCodes,
  type ChangeFeedPullModelIterator,
  type Container,
} from "@azure/cosmos";
import { withRetries } from "./retry";

/**
 * The read side: one feed range of the source's change feed, from where it starts (the beginning of the
 * range, "now", or a saved continuation), one page at a time. In the latest-version mode a page that answers
 * "nothing new" (304) means the range has drained: every item that existed when it was read has been seen.
 * In the all-versions-and-deletes mode (online copies) each page holds every change in order, deletes too.
 * The SDK follows partition splits inside the iterator (410 → the children, same continuation).
 */
export interface ChangePage {
  items: Record<string, unknown>[];
  /** Where the next read continues; saved as the range's checkpoint once the page is written. */
  continuation: string;
  drained: boolean;
  requestCharge: number;
  /**
   * The partition's latest log sequence number when it answered, from its session token (`<range>:<version>#<lsn>…`),
   * where the endpoint sends one: how far the feed goes beyond this page.
   */
  latestLsn?: number;
}

type Iterator = ChangeFeedPullModelIterator<Record<string, unknown>>;

/** The global LSN of each `<range>:<version>#<lsn>[#<region>=<lsn>…]` entry of a session token; the highest. */
export function sessionTokenLsn(token: string | undefined): number | undefined {
  if (!token) return undefined;
  const lsns = token
    .split(",")
    .map((entry) => Number(entry.split("#")[1]))
    .filter((lsn) => Number.isInteger(lsn));
  return lsns.length > 0 ? Math.max(...lsns) : undefined;
}

export class FeedRangeReader {
  private iterator: Iterator | undefined;
  private lastCharge = 0;

  constructor(
    private readonly container: Container,
    private startFrom: ChangeFeedStartFrom,
    private readonly pageSize: number,
    private readonly mode = ChangeFeedMode.LatestVersion,
  ) {}

  /** What the last page cost: the estimate a read pacer reserves before the next one. */
  get expectedCharge(): number {
    return this.lastCharge;
  }

  /** Reads the next page; after a transient fault the iterator is rebuilt from the last continuation. */
  async next(signal?: AbortSignal): Promise<ChangePage> {
    const page = await withRetries(async () => {
      signal?.throwIfAborted();
      this.iterator ??= this.container.items.getChangeFeedIterator<Record<string, unknown>>({
        changeFeedStartFrom: this.startFrom,
        maxItemCount: this.pageSize,
        changeFeedMode: this.mode,
      });
      try {
        return await this.iterator.readNext();
      } catch (error) {
        this.iterator = undefined;
        throw error;
      }
    });
    this.startFrom = ChangeFeedStartFrom.Continuation(page.continuationToken);
    this.lastCharge = page.requestCharge;
    return {
      items: page.result,
      continuation: page.continuationToken,
      drained: page.statusCode === StatusCodes.NotModified,
      requestCharge: page.requestCharge,
      latestLsn: sessionTokenLsn(page.headers["x-ms-session-token"] as string | undefined),
    };
  }
}
