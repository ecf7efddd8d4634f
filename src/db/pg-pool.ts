import pg from 'pg';
import type { Logger } from 'pino';

/** A pg pool whose `error` event is always handled (an idle client dying must not crash the process). */
export function createPgPool(connectionString: string, log: Logger, options: { max?: number; applicationName: string }): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL client failed; it was discarded'));
  return pool;
}

/** Readiness check for a service that needs PostgreSQL: null when a trivial query succeeds. */
export function pgReadiness(pool: pg.Pool): () => Promise<string | null> {
  return () => pool.query('SELECT 1').then(() => null, () => 'PostgreSQL is unreachable');
}
