/**
 * The `x-ms-documentdb-query-metrics` header the service adds to a query page when the request sets
 * `x-ms-documentdb-populatequerymetrics: true`: `key=value` pairs separated by `;`, times in milliseconds with
 * two decimals, which the SDK parses into `FeedResponse.queryMetrics`. The emulator measures what it can (items
 * read and written, wall time); it has no index, so every retrieved item counts as an index hit and the
 * engine's internal phases (compilation, plan building, index lookup) report zero.
 */
export class QueryMetricsCollector {
  private readonly started = process.hrtime.bigint();
  retrievedDocumentCount = 0;
  retrievedDocumentSize = 0;

  /** Counts an item the query read from storage, by its rendered JSON. */
  retrieved(renderedItem: string): void {
    this.retrievedDocumentCount++;
    this.retrievedDocumentSize += Buffer.byteLength(renderedItem);
  }

  /** Counts items whose content the query never reads (`SELECT VALUE COUNT(1)`). */
  retrievedWithoutContent(count: number): void {
    this.retrievedDocumentCount += count;
  }

  header(outputDocumentCount: number, outputDocumentSize: number): string {
    const elapsedMs = Number(process.hrtime.bigint() - this.started) / 1e6;
    const ms = (value: number) => value.toFixed(2);
    const metrics: [string, string | number][] = [
      ["totalExecutionTimeInMs", ms(elapsedMs)],
      ["queryCompileTimeInMs", ms(0)],
      ["queryLogicalPlanBuildTimeInMs", ms(0)],
      ["queryPhysicalPlanBuildTimeInMs", ms(0)],
      ["queryOptimizationTimeInMs", ms(0)],
      ["VMExecutionTimeInMs", ms(elapsedMs)],
      ["indexLookupTimeInMs", ms(0)],
      ["documentLoadTimeInMs", ms(0)],
      ["systemFunctionExecuteTimeInMs", ms(0)],
      ["userFunctionExecuteTimeInMs", ms(0)],
      ["retrievedDocumentCount", this.retrievedDocumentCount],
      ["retrievedDocumentSize", this.retrievedDocumentSize],
      ["outputDocumentCount", outputDocumentCount],
      ["outputDocumentSize", outputDocumentSize],
      ["writeOutputTimeInMs", ms(0)],
      ["indexUtilizationRatio", ms(this.retrievedDocumentCount === 0 ? 0 : 1)],
    ];
    return metrics.map(([key, value]) => `${key}=${value}`).join(";");
  }
}
