/**
 * Faults that tests switch on through the admin endpoint, to prove clients survive what the real service
 * does under load or failure. Rules apply to data-plane requests (items, batches, queries, change feed)
 * unless `resourceTypes` says otherwise, and end on their own after `durationMs`.
 */
export interface FaultRules {
  /** Added before the request is handled. */
  latencyMs?: number;
  /** Share (0–1) of matched requests that get the latency (default 1: all of them). */
  latencyRate?: number;
  /** Share (0–1) of matched requests answered 503 ServiceUnavailable. */
  serviceUnavailableRate?: number;
  /** Share (0–1) of matched requests whose connection is reset without an answer. */
  connectionResetRate?: number;
  /** Share (0–1) of matched requests answered 429 regardless of the budget. */
  throttleRate?: number;
  throttleRetryAfterMs?: number;
  resourceTypes?: string[];
  durationMs?: number;
}

export type FaultDecision =
  | { kind: "none"; delayMs: number }
  | { kind: "serviceUnavailable"; delayMs: number }
  | { kind: "connectionReset"; delayMs: number }
  | { kind: "throttle"; delayMs: number; retryAfterMs: number };

const dataPlaneTypes = ["docs"];

export class FaultInjector {
  private rules: FaultRules = {};
  private expiresAt = Infinity;

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRules): void {
    this.rules = rules;
    this.expiresAt = rules.durationMs === undefined ? Infinity : Date.now() + rules.durationMs;
  }

  clear(): void {
    this.set({});
  }

  current(): FaultRules {
    if (Date.now() >= this.expiresAt) this.clear();
    return this.rules;
  }

  decide(resourceType: string): FaultDecision {
    const rules = this.current();
    if (!(rules.resourceTypes ?? dataPlaneTypes).includes(resourceType)) return { kind: "none", delayMs: 0 };
    const delayMs = this.random() < (rules.latencyRate ?? 1) ? (rules.latencyMs ?? 0) : 0;
    if (this.random() < (rules.connectionResetRate ?? 0)) return { kind: "connectionReset", delayMs };
    if (this.random() < (rules.serviceUnavailableRate ?? 0)) return { kind: "serviceUnavailable", delayMs };
    if (this.random() < (rules.throttleRate ?? 0)) {
      return { kind: "throttle", delayMs, retryAfterMs: rules.throttleRetryAfterMs ?? 100 };
    }
    return { kind: "none", delayMs };
  }
}
