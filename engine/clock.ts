/**
 * Time as the engine sees it. Leases, balancing and pacing read it through this interface so unit tests can
 * drive them with a clock of their own.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
