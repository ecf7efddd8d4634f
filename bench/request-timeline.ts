import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { latencySummary } from './load.js';

/** One request of a timeline: when it was sent and answered (ms on the load's clock), and how. */
export interface TimedRequest {
  sentMs: number;
  doneMs: number;
  /** HTTP status; 0 when no response came (a network error). */
  status: number;
  /** Why it failed: `HTTP 502`, `GraphQL errors`, a network error's code; null when it succeeded. */
  failure: string | null;
}

/** What the requests sent within a window of the timeline came to. */
export interface WindowSummary {
  requests: number;
  failed: number;
  /** Failures by kind (`HTTP 502`: 3, …). */
  failures: Record<string, number>;
  /** Latency of the successful requests, ms. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * `clients` closed-loop clients, each POSTing `body` to `url` again as soon as its answer came, over
 * keep-alive connections, until `signal` aborts; every request is kept with its times and outcome,
 * so that what happened around an event (a gateway killed) can be read off afterwards. A request
 * succeeds on a 2xx answer whose JSON has no `errors`. `onStart` receives the load's clock.
 */
export async function requestTimeline(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  clients: number;
  signal: AbortSignal;
  /** Per request; a request not answered by then fails (`timeout`). */
  timeoutMs?: number;
}): Promise<TimedRequest[]> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.clients, pipelining: 1 });
  const timeline: TimedRequest[] = [];
  const client = async () => {
    while (!options.signal.aborted) {
      const sentMs = performance.now();
      let status = 0;
      let failure: string | null = null;
      try {
        const response = await pool.request({
          path: url.pathname,
          method: 'POST',
          headers: options.headers,
          body: options.body,
          headersTimeout: options.timeoutMs ?? 10_000,
          bodyTimeout: options.timeoutMs ?? 10_000,
        });
        status = response.statusCode;
        const text = await response.body.text();
        if (status < 200 || status >= 300) failure = `HTTP ${status}`;
        else if ((JSON.parse(text) as { errors?: unknown[] }).errors?.length) failure = 'GraphQL errors';
      } catch (error) {
        const e = error as { code?: string; name?: string };
        failure = e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : (e.code ?? e.name ?? 'error');
      }
      timeline.push({ sentMs, doneMs: performance.now(), status, failure });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.clients }, client));
  } finally {
    await pool.close();
  }
  return timeline.sort((a, b) => a.sentMs - b.sentMs);
}

/** The requests sent in [fromMs, toMs). */
export function sentBetween(timeline: readonly TimedRequest[], fromMs: number, toMs: number): TimedRequest[] {
  return timeline.filter((r) => r.sentMs >= fromMs && r.sentMs < toMs);
}

/** Requests in flight at `atMs`: sent before it, answered after it. */
export function inFlightAt(timeline: readonly TimedRequest[], atMs: number): TimedRequest[] {
  return timeline.filter((r) => r.sentMs <= atMs && r.doneMs > atMs);
}

export function summarize(requests: readonly TimedRequest[]): WindowSummary {
  const failures: Record<string, number> = {};
  for (const r of requests) if (r.failure) failures[r.failure] = (failures[r.failure] ?? 0) + 1;
  const { p50Ms, p99Ms } = latencySummary(requests.filter((r) => !r.failure).map((r) => r.doneMs - r.sentMs));
  return { requests: requests.length, failed: requests.filter((r) => r.failure).length, failures, p50Ms, p99Ms };
}

/** From `fromMs` to the answer of the last failed request (0 when none failed after it), ms. */
export function failingFor(timeline: readonly TimedRequest[], fromMs: number): number {
  const lastFailure = Math.max(fromMs, ...timeline.filter((r) => r.failure && r.doneMs >= fromMs).map((r) => r.doneMs));
  return lastFailure - fromMs;
}
