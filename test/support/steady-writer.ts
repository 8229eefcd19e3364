import type { Container, JSONObject } from "@azure/cosmos";
import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { isTransient } from "../../engine/errors";
import { padded } from "./seed";

/**
 * An application that keeps writing to a container while an online copy runs: creates new items, replaces
 * and deletes existing ones, at a steady rate (or as fast as it can), through the SDK's point operations.
 * The container itself is the truth a test compares the copy with, so nothing here records what it wrote
 * beyond the live ids it picks from and what it did.
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

export interface WriterOptions {
  /**
   * Operations in flight at most. With `perSecond` Infinity the writer goes as fast as these allow, which is
   * how the bench has an application write flat out.
   */
  inFlight?: number;
  /** Bodies padded to about this many bytes, like the items they change (unpadded without it). */
  itemBytes?: number;
}

/** More than the tests' steady rates ever have in flight at once. */
const defaultInFlight = 100;

export class SteadyWriter {
  readonly counts: WriterCounts = { created: 0, replaced: 0, deleted: 0, unsure: 0, deletedIds: new Set() };
  private readonly live: LiveItem[];
  private running: Promise<unknown> | undefined;
  private readonly halt = new AbortController();
  private issued = 0;
  private next = 0;
  private failure: unknown;

  /** `live` are the items the container holds when writing starts; `perSecond` operations are made. */
  constructor(
    private readonly container: Container,
    live: LiveItem[],
    private readonly perSecond: number,
    private readonly options: WriterOptions = {},
  ) {
    this.live = [...live];
  }

  start(): void {
    const started = Date.now();
    const lanes = this.options.inFlight ?? defaultInFlight;
    // Every lane waiting for its slot listens for the stop: more than Node's default warns of a leak.
    setMaxListeners(lanes, this.halt.signal);
    this.running = Promise.all(Array.from({ length: lanes }, () => this.lane(started)));
  }

  /** Stops after the operations in flight; rejects if any failed. */
  async stop(): Promise<WriterCounts> {
    this.halt.abort();
    await this.running;
    if (this.failure !== undefined) throw this.failure as Error;
    return this.counts;
  }

  get operations(): number {
    return this.counts.created + this.counts.replaced + this.counts.deleted;
  }

  /**
   * One of the `inFlight` lanes: an operation at a time, each at its own slot of the schedule the rate sets;
   * a slot already past goes at once, so a slow stretch is made up after it.
   */
  private async lane(started: number): Promise<void> {
    const { signal } = this.halt;
    while (!signal.aborted && this.failure === undefined) {
      const wait = started + (this.issued++ / this.perSecond) * 1000 - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await this.operate().catch((error: unknown) => {
        if (isTransient(error)) this.counts.unsure += 1;
        else this.failure ??= error;
      });
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
   * The item's `customerId` and `category` (the targets' partition keys in the tests and in the bench) stay
   * what they were created with (the formulas `seedContainer` uses, from the id's number): a replace that
   * moves an item to another target partition is beyond what the feed lets a copy follow.
   */
  private body(item: LiveItem, version: number): JSONObject {
    const number = Number(item.id.replace(/\D/g, ""));
    return padded(
      {
        id: item.id,
        pk: item.pk,
        customerId: `customer-${(number * 7919) % 1000}`,
        category: `category-${number % 37}`,
        version,
      },
      this.options.itemBytes,
    );
  }
}
