/**
 * Which feed ranges a worker should take and which it should give back, from what every worker can see:
 * the ranges' leases, the live workers, who it is and the time. Pure, so it is tested on its own.
 *
 * Like the change feed processor's equal-partitions strategy, each worker aims for an equal share of the
 * ranges with work left (rounded up). Unlike it, a worker never steals a range that another live worker
 * holds: the holder gives its excess back between pages, so no range is ever written by two workers at
 * once. Only leases that have expired (their holder stopped renewing) or are held by no one are taken.
 */
export interface RangeLeaseView {
  id: string;
  /** Nothing left for anyone to do in it (see `rangeFinished`): no one leases it. */
  finished: boolean;
  leaseOwner?: string;
  leaseExpiresAt?: number;
}

export interface BalancePlan {
  /** Free or expired ranges to lease, in the order to try them. */
  take: string[];
  /** Ranges this worker holds beyond its share, to give back. */
  release: string[];
  /** How many ranges this worker should hold. */
  share: number;
}

export function isLeaseFree(range: RangeLeaseView, now: number): boolean {
  return !range.leaseOwner || (range.leaseExpiresAt ?? 0) <= now;
}

/**
 * `held` are the ranges this worker is copying now. A lease that names this worker but that it is not
 * copying was left by an earlier process with the same worker id (a restart): it is taken back at once,
 * before free ones.
 */
export function planBalance(
  ranges: readonly RangeLeaseView[],
  liveWorkers: readonly string[],
  me: string,
  now: number,
  held: ReadonlySet<string>,
): BalancePlan {
  const open = ranges.filter((range) => !range.finished);
  const workers = new Set([...liveWorkers, me]).size;
  const share = Math.ceil(open.length / workers);
  const mine = open.filter((range) => held.has(range.id));
  const takeable = open.filter(
    (range) => !held.has(range.id) && (range.leaseOwner === me || isLeaseFree(range, now)),
  );
  takeable.sort((a, b) => Number(b.leaseOwner === me) - Number(a.leaseOwner === me));
  return {
    share,
    take: takeable.slice(0, Math.max(0, share - mine.length)).map((range) => range.id),
    release: mine.slice(share).map((range) => range.id),
  };
}
