/**
 * Actors a training or tuning run keeps its reports in. Both are shipped to
 * a worker as source, so they stay self-contained (no imports, no class
 * fields). The driver reads them with `since(n)` while the run goes.
 */

/** One training attempt's reports from rank 0, in order. */
export class ShoalTrainState {
  reports: Array<{ metrics: unknown; checkpoint?: unknown }>;

  constructor() {
    this.reports = [];
  }

  report(metrics: unknown, checkpoint: unknown): number {
    this.reports.push(checkpoint === null || checkpoint === undefined ? { metrics } : { metrics, checkpoint });
    return this.reports.length;
  }

  since(count: number): Array<{ metrics: unknown; checkpoint?: unknown }> {
    return this.reports.slice(count);
  }
}
