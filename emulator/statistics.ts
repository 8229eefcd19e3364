/** Per-container counts of data-plane requests, throttles and request units, for benchmarks and tests. */
export interface ContainerStatistics {
  requests: number;
  throttled: number;
  requestUnits: number;
}

export class RequestStatistics {
  private readonly byContainer = new Map<string, ContainerStatistics>();

  /** A request counts as throttled if it, or any bulk operation in it, was answered 429. */
  record(containerLink: string, status: number, requestUnits: number, throttledOperations = 0): void {
    let entry = this.byContainer.get(containerLink);
    if (!entry) {
      entry = { requests: 0, throttled: 0, requestUnits: 0 };
      this.byContainer.set(containerLink, entry);
    }
    entry.requests += 1;
    if (status === 429 || throttledOperations > 0) entry.throttled += 1;
    entry.requestUnits += requestUnits;
  }

  snapshot(): Record<string, ContainerStatistics> {
    return Object.fromEntries(this.byContainer);
  }

  reset(): void {
    this.byContainer.clear();
  }
}
