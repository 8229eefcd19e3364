import { isTrue, type CosmosRequest } from "./protocol";

/**
 * Handlers run synchronously on one thread, so a request that arrives behind a queue of others waits for
 * all of them. Requests whose work grows with the data — feed pages, queries, batches and bulk — therefore
 * take turns: one per event-loop iteration, round-robin across containers. Light requests (metadata, point
 * operations) never wait, so they are answered between two heavy ones however many are queued, and a
 * container with a long queue (a copy's source and target) cannot hold back a small container's query.
 */
export function takesTurns(request: CosmosRequest): boolean {
  if (request.resourceType !== "docs" || request.segments.length !== 5) return false;
  return (
    request.method === "GET" ||
    isTrue(request, "x-ms-documentdb-isquery") ||
    isTrue(request, "x-ms-cosmos-is-batch-request")
  );
}

export class FairTurns {
  /** Waiting requests per container, in the order the containers' turns come (a Map keeps insertion order). */
  private readonly waiting = new Map<string, (() => void)[]>();
  private granting = false;

  /** Resolves when it is the turn of this request of `container`. */
  take(container: string): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(container);
      if (queue) queue.push(resolve);
      else this.waiting.set(container, [resolve]);
      this.scheduleGrant();
    });
  }

  /** setImmediate runs after the event loop has polled for I/O, so light requests get in between turns. */
  private scheduleGrant(): void {
    if (this.granting) return;
    this.granting = true;
    setImmediate(() => this.grant());
  }

  private grant(): void {
    this.granting = false;
    const [container, queue] = this.waiting.entries().next().value as [string, (() => void)[]];
    this.waiting.delete(container);
    const resolve = queue.shift() as () => void;
    // Back at the end of the line: the next turn goes to another container, if one is waiting.
    if (queue.length > 0) this.waiting.set(container, queue);
    if (this.waiting.size > 0) this.scheduleGrant();
    resolve();
  }
}
