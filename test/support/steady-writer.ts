import type { Container, JSONObject } from "@azure/cosmos";
import { isTransient } from "../../engine/errors";

/**
 * An application that keeps writing to a container while an online copy runs: creates new items, replaces
 * and deletes existing ones, at a steady rate, through the SDK's point operations. The container itself is
 * the truth a test compares the copy with, so nothing here records what it wrote beyond the live ids it
 * picks from and what it did.
 */
export interface WriterCounts {
  created: number;
  replaced: number;
  deleted: number;
  /**
   * Operations whose outcome is unknown (the connection dropped under load). The writer carries on: whether
   * or not such a write happened, the container holds the truth about the item, and a test compares
   * containers, not these counts.
   */
  unsure: number;
  /** Ids deleted and never created again: a correct copy does not hold them. */
  deletedIds: Set<string>;
}

interface LiveItem {
  id: string;
  pk: string;
}

const tickMs = 50;

export class SteadyWriter {
  readonly counts: WriterCounts = { created: 0, replaced: 0, deleted: 0, unsure: 0, deletedIds: new Set() };
  private readonly live: LiveItem[];
  private running: Promise<void> | undefined;
  private stopping = false;
  private next = 0;
  private failure: unknown;

  /** `live` are the items the container holds when writing starts; `perSecond` operations are made. */
  constructor(
    private readonly container: Container,
    live: LiveItem[],
    private readonly perSecond: number,
  ) {
    this.live = [...live];
  }

  start(): void {
    this.running = this.loop();
  }

  /** Stops after the operations in flight; rejects if any failed. */
  async stop(): Promise<WriterCounts> {
    this.stopping = true;
    await this.running;
    if (this.failure !== undefined) throw this.failure as Error;
    return this.counts;
  }

  get operations(): number {
    return this.counts.created + this.counts.replaced + this.counts.deleted;
  }

  private async loop(): Promise<void> {
    const started = Date.now();
    let issued = 0;
    while (!this.stopping && this.failure === undefined) {
      // As many operations as the rate allows by now, so a slow tick is made up by the next.
      const due = Math.floor(((Date.now() - started) / 1000) * this.perSecond) - issued;
      issued += due;
      await Promise.all(
        Array.from({ length: due }, () =>
          this.operate().catch((error: unknown) => {
            if (isTransient(error)) this.counts.unsure += 1;
            else this.failure ??= error;
          }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  }

  /** 40 % creates, 40 % replaces, 20 % deletes: the container grows while items change and go. */
  private async operate(): Promise<void> {
    const roll = this.next++ % 5;
    if (roll < 2 || this.live.length === 0) {
      const item = { id: `live-${this.next}`, pk: `customer-${this.next % 300}` };
      await this.container.items.create(this.body(item, 0));
      this.live.push(item);
      this.counts.created += 1;
      return;
    }
    const index = (this.next * 7919) % this.live.length;
    const item = this.live[index];
    if (roll < 4) {
      try {
        await this.container.item(item.id, item.pk).replace(this.body(item, this.next));
        this.counts.replaced += 1;
      } catch (error) {
        // Deleted meanwhile by a delete in flight: the container says what happened, and that is the truth.
        if ((error as { code?: number }).code !== 404) throw error;
      }
      return;
    }
    // Taken out of the live set first, so no replace picks it while it is being deleted.
    this.live.splice(index, 1);
    await this.container.item(item.id, item.pk).delete();
    this.counts.deleted += 1;
    this.counts.deletedIds.add(item.id);
  }

  /**
   * The item's `customerId` (the target's partition key in the tests) stays what it was created with (the
   * formula `seedContainer` uses, from the id's number): a replace that moves an item to another target
   * partition is beyond what the feed lets a copy follow.
   */
  private body(item: LiveItem, version: number): JSONObject {
    return {
      id: item.id,
      pk: item.pk,
      customerId: `customer-${(Number(item.id.replace(/\D/g, "")) * 7919) % 1000}`,
      category: `category-${version % 37}`,
      version,
    };
  }
}
