/** One timed load on one path. */
export interface Load {
  /** Mean completed requests per second. */
  requestsPerSecond: number;
  /** Requests (or statements) completed in the window. */
  completed: number;
  /** Latency, ms, at full resolution. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors (timeouts included) and non-2xx answers, or failed statements. */
  errors: number;
}

/** Summary of latency samples (ms); percentiles as `percentile` takes them. */
export function latencySummary(samples: number[]): Pick<Load, 'meanMs' | 'p50Ms' | 'p99Ms'> {
  const sorted = [...samples].sort((a, b) => a - b);
  return { meanMs: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** The p-th percentile of samples sorted ascending (0 when there are none), as HdrHistogram takes it: the smallest sample with p % at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(Math.max(Math.ceil((p / 100) * sorted.length), 1), sorted.length) - 1]!;
}
