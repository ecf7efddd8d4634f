import { requireCitus } from './dist-nodes.js';
import { ensureCoordinatorLoopback } from './ensure-coordinator-loopback.js';
import { opsUnavailable } from './ops-error.js';
import type { OpsDeps } from './ops-routes.js';
import { publishClusterEvent } from './publish-cluster-event.js';
import { isRebalanceConflict, rebalanceBusy } from './rebalance-busy.js';
import type { RebalanceMonitor } from './rebalance-monitor.js';
import { isActive, readRebalanceStatus, type RebalanceStatus } from './rebalance-status.js';
import { withClient } from '../db/with-client.js';

/**
 * rebalance: Citus's background rebalancer (citus_rebalance_start), answered at once with the
 * job; the monitor publishes REBALANCE_* events until it ends. A second call while one runs is
 * refused (BAD_USER_INPUT, HTTP 409) rather than joined: the caller learns that its request did
 * not start anything, and follows the running job on clusterEvents.
 */
export async function startRebalance(deps: OpsDeps, monitor: RebalanceMonitor): Promise<RebalanceStatus> {
  return withClient(deps.adminUrl, async (client) => {
    await requireCitus(client, 'rebalance');
    const running = await readRebalanceStatus(client);
    if (isActive(running)) throw rebalanceBusy(running);
    await ensureCoordinatorLoopback(deps.adminUrl, deps.log);
    let jobId: string | null;
    try {
      jobId = (await client.query<{ job: string | null }>('SELECT citus_rebalance_start()::text AS job')).rows[0]!.job;
    } catch (error) {
      if (isRebalanceConflict(error)) throw rebalanceBusy(await readRebalanceStatus(client));
      deps.log.error({ err: error }, 'citus_rebalance_start failed');
      throw opsUnavailable(`Citus could not start the rebalance; nothing was changed (the recovery process's log has the details)`, error);
    }
    deps.log.info({ job: jobId }, 'rebalance started');
    if (jobId === null) {
      await publishClusterEvent(deps.bus, deps.log, 'REBALANCE_COMPLETED', null, 'the shards are balanced already; nothing to move');
      return { state: 'FINISHED', progress: 1, jobId: null, detail: 'the shards are balanced already; nothing to move', startedAt: null, finishedAt: null, done: 0, total: 0 };
    }
    monitor.follow(jobId, { drain: null });
    return readRebalanceStatus(client, jobId);
  });
}
