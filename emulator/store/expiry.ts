/**
 * Time to live as the store applies it. A container with `defaultTtl` (-1: on without a default, n > 0:
 * seconds) expires its items; one without never does, whatever their `ttl`. An item's own `ttl` (seconds
 * above 0, or -1 for never) overrides the default; without one it inherits it. An item expires `ttl`
 * seconds after its `_ts` and from then on the store hides it from every read, scan, count and
 * latest-version change feed, whether or not it has been purged yet.
 *
 * `_ts` is in whole seconds and so is the clock the store compares it with: an item is expired once the
 * current second is past `_ts + ttl`, so it lives at least `ttl` full seconds after its write.
 */

/** What expiry needs to know about a container with TTL on: its default and the current second. */
export interface ExpiryClock {
  /** -1: items without their own `ttl` never expire. */
  defaultTtl: number;
  now: number;
}

export function defaultTtlOf(definition: { defaultTtl?: unknown }): number | undefined {
  return typeof definition.defaultTtl === "number" ? definition.defaultTtl : undefined;
}

export function expiryClock(defaultTtl: number | undefined): ExpiryClock | undefined {
  return defaultTtl === undefined ? undefined : { defaultTtl, now: Math.floor(Date.now() / 1000) };
}

/**
 * The item's own `ttl` as a generated column of `items`, read from the stored body: an integer, else NULL
 * (absent, or a value the container accepted while its TTL was off, which then counts as no `ttl`).
 */
export const ttlColumnDefinition =
  "INTEGER GENERATED ALWAYS AS (CASE json_type(body, '$.ttl') WHEN 'integer' THEN json_extract(body, '$.ttl') END) VIRTUAL";

/** Items with their own positive `ttl`, by when they expire: few in most containers, so the index is small. */
export const ownExpiryIndex =
  "CREATE INDEX IF NOT EXISTS items_by_own_expiry ON items (container_rid, ts + ttl) WHERE ttl > 0";

/**
 * SQL that is true for a row of `items` that has not expired. Its two parameters are `liveValues(clock)`:
 * the default (NULL when items without a `ttl` never expire) and the current second.
 */
export const liveCondition =
  "ifnull((CASE WHEN ttl > 0 THEN ts + ttl WHEN ttl IS NULL THEN ts + ? END) >= ?, 1)";

export function liveValues(clock: ExpiryClock): [number | null, number] {
  return [clock.defaultTtl > 0 ? clock.defaultTtl : null, clock.now];
}

/** The same test as `liveCondition`, on a row already read. */
export function isExpired(item: { ts: number; ttl: number | null }, clock: ExpiryClock): boolean {
  const lifetime = item.ttl === null ? clock.defaultTtl : item.ttl;
  return lifetime > 0 && item.ts + lifetime < clock.now;
}

/** Whether an item without its own `ttl`, written at `ts`, has expired under the container's default. */
export function defaultExpired(ts: number, clock: ExpiryClock): boolean {
  return clock.defaultTtl > 0 && ts + clock.defaultTtl < clock.now;
}
