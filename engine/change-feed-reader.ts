import {
  ChangeFeedStartFrom,
  StatusCodes,
  type ChangeFeedPullModelIterator,
  type Container,
  type FeedRange,
} from "@azure/cosmos";
import { withRetries } from "./retry";

/**
 * The read side: one feed range of the source's change feed, from the beginning (or a saved continuation),
 * one page at a time. A page that answers "nothing new" (304) means the range has drained: for an offline
 * copy, every item that existed when it was read has been seen.
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

  constructor(
    private readonly container: Container,
    private readonly range: FeedRange,
    private continuation: string | undefined,
    private readonly pageSize: number,
  ) {}

  /** Reads the next page; after a transient fault the iterator is rebuilt from the last continuation. */
  async next(): Promise<ChangePage> {
    const page = await withRetries(async () => {
      this.iterator ??= this.container.items.getChangeFeedIterator<Record<string, unknown>>({
        changeFeedStartFrom: this.continuation
          ? ChangeFeedStartFrom.Continuation(this.continuation)
          : ChangeFeedStartFrom.Beginning(this.range),
        maxItemCount: this.pageSize,
      });
      try {
        return await this.iterator.readNext();
      } catch (error) {
        this.iterator = undefined;
        throw error;
      }
    });
    this.continuation = page.continuationToken;
    return {
      items: page.result,
      continuation: page.continuationToken,
      drained: page.statusCode === StatusCodes.NotModified,
      requestCharge: page.requestCharge,
    };
  }
}
