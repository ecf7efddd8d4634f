import { opsBadInput } from './ops-error.js';
import type { RebalanceStatus } from './rebalance-status.js';

/** Citus runs one rebalance (or drain) at a time: a second request is refused (HTTP 409), nothing changed. */
export function rebalanceBusy(running: RebalanceStatus): Error {
  return opsBadInput(
    `a rebalance is running already (job ${running.jobId}, ${running.detail}); wait for REBALANCE_COMPLETED on clusterEvents (or cluster { rebalance { state } }) and try again; nothing was changed`,
    409,
  );
}

/** SQLSTATEs Citus answers with when another rebalance holds its lock. */
export function isRebalanceConflict(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '55006' || code === '55P03';
}
