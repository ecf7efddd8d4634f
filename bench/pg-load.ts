import type pg from 'pg';
import { latencySummary, type Load } from './load.js';

/**
 * `connections` workers on `pool`, each running the statement again as soon as it returns, until
 * `duration` seconds have passed; only statements that finish inside the window count.
 */
export async function pgLoad(pool: pg.Pool, text: string, params: unknown[], duration: number, connections: number): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(duration * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() < end) {
      const t0 = process.hrtime.bigint();
      try {
        await pool.query(text, params);
        const t1 = process.hrtime.bigint();
        if (t1 <= end) latencies.push(Number(t1 - t0) / 1e6);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { requestsPerSecond: latencies.length / duration, completed: latencies.length, ...latencySummary(latencies), errors };
}
