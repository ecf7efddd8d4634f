import type { ClusterMode } from '../src/db/bootstrap/migrations.js';

/** The private stack settings of a benchmark run in `mode` (SINGLE: DISTRAG_CITUS=off; CITUS: on). */
export function benchStackEnv(mode: ClusterMode, env: Record<string, string>): Record<string, string> {
  return { ...env, DISTRAG_CITUS: mode === 'CITUS' ? 'on' : 'off', DISTRAG_LOG_LEVEL: 'warn' };
}
