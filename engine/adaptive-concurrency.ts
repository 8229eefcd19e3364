/**
 * How many write requests a worker keeps in flight, found by additive increase / multiplicative decrease:
 * each success widens the window a little, a throttled response halves it (at most once per cool-down, so
 * one burst of 429s counts once). The target's RU budget stays busy without storms of throttled requests.
 */
export class AdaptiveConcurrency {
  private window: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private lastDecrease = 0;

  constructor(
    private readonly min = 1,
    private readonly max = 64,
    initial = 16,
    private readonly coolDownMs = 500,
  ) {
    this.window = initial;
  }

  get limit(): number {
    return Math.floor(this.window);
  }

  /** Resolves when a request may start; call the returned function when it ends. */
  async acquire(): Promise<() => void> {
    while (this.inFlight >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      this.wake();
    };
  }

  onSuccess(): void {
    this.window = Math.min(this.max, this.window + 1 / this.window);
    this.wake();
  }

  onThrottle(now = Date.now()): void {
    if (now - this.lastDecrease < this.coolDownMs) return;
    this.lastDecrease = now;
    this.window = Math.max(this.min, this.window / 2);
  }

  /** Waiters re-check the window when they wake, so waking too many is harmless. */
  private wake(): void {
    for (let room = this.limit - this.inFlight; room > 0 && this.waiting.length > 0; room--) {
      this.waiting.shift()?.();
    }
  }
}
