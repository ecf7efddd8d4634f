import { checkHealth, queryPostgres, type HealthCheck } from '../stack/health-check.js';

/**
 * Whether a service is alive — not whether it is ready. A service waiting for something else (the
 * change feed while a worker is down, the backup process while a node's WAL cannot stream) is
 * alive and must not be restarted for it; PostgreSQL replaying WAL ("the database system is
 * starting up") is alive too. HTTP services answer /healthz; readiness is /readyz.
 */
export async function checkLiveness(check: HealthCheck, timeoutMs: number): Promise<boolean> {
  switch (check.kind) {
    case 'http':
      return checkHealth({ kind: 'http', url: livenessUrl(check.url) }, timeoutMs);
    case 'postgres': {
      const failure = await queryPostgres(check.url, timeoutMs);
      // 57P03 cannot_connect_now: starting up, shutting down or in recovery — the server answered.
      return failure === null || failure === '57P03';
    }
    case 'redis':
      return checkHealth(check, timeoutMs);
  }
}

/** The service's liveness URL: /healthz beside its /readyz. */
export function livenessUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/readyz') parsed.pathname = '/healthz';
  return parsed.toString();
}
