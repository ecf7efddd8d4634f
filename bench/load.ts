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

/** Summary of latency samples (ms); p is taken as HdrHistogram does: the smallest sample with p % at or below it. */
export function latencySummary(samples: number[]): Pick<Load, 'meanMs' | 'p50Ms' | 'p99Ms'> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(Math.max(Math.ceil((p / 100) * sorted.length), 1), sorted.length) - 1]!);
  return { meanMs: sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length, p50Ms: at(50), p99Ms: at(99) };
}
