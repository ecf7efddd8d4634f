import autocannon from 'autocannon';
import { latencySummary, type Load } from './load.js';

/** `connections` keep-alive connections POSTing `body` to `url` for `duration` seconds (autocannon, in this process). */
export async function httpLoad(options: { url: string; headers: Record<string, string>; body: string; duration: number; connections: number }): Promise<Load> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: options.url, method: 'POST', headers: options.headers, body: options.body, duration: options.duration, connections: options.connections },
      (error: unknown, done) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done)),
    );
    // autocannon's own histogram keeps whole milliseconds; these are the full-resolution times.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  return {
    requestsPerSecond: result.requests.average,
    completed: result.requests.total,
    ...latencySummary(latencies),
    errors: result.errors + result.non2xx,
  };
}
