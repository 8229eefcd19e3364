import {
  ChangeFeedStartFrom,
  StatusCodes,
  type ChangeFeedPullModelIterator,
  type Container,
} from "@azure/cosmos";
import { withRetries } from "./retry";

/**
 * The read side: one feed range of the source's change feed, from where it starts (the beginning of the
 * range, or a saved continuation), one page at a time. A page that answers "nothing new" (304) means the
 * range has drained: for an offline copy, every item that existed when it was read has been seen. The SDK
 * follows partition splits inside the iterator (410 → the children, same continuation).
 */
export interface ChangePage {
  items: Record<string, unknown>[];
  /** Where the next read continues; saved as the range's checkpoint once the page is written. */
  continuation: string;
  drained: boolean;
  requestCharge: number;
}

type Iterator = ChangeFeedPullModelIterator<Record<string, unknown>>;

export class FeedRangeReader {
  private iterator: Iterator | undefined;
  private lastCharge = 0;

  constructor(
    private readonly container: Container,
    private startFrom: ChangeFeedStartFrom,
    private readonly pageSize: number,
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
    };
  }
}
