import { findWorker, requireCitus } from './dist-nodes.js';
import { ensureCoordinatorLoopback } from './ensure-coordinator-loopback.js';
import { opsUnavailable } from './ops-error.js';
import type { OpsDeps } from './ops-routes.js';
import { publishClusterEvent } from './publish-cluster-event.js';
import { isRebalanceConflict, rebalanceBusy } from './rebalance-busy.js';
import type { RebalanceMonitor } from './rebalance-monitor.js';
import { isActive, readRebalanceStatus, type RebalanceStatus } from './rebalance-status.js';
import { withClient } from '../db/with-client.js';

/**
 * drainNode: the worker takes no new shards (shouldhaveshards off) and Citus's rebalancer moves
 * its shards to the others in the background, drain-only (citus_rebalance_start(drain_only)),
 * rather than citus_drain_node in this request: a drain takes minutes, longer than a GraphQL
 * request may wait, and a background job survives a restart of this process. The monitor
 * publishes its progress, then NODE_DRAINED.
 */
export async function drainNode(deps: OpsDeps, monitor: RebalanceMonitor, name: string): Promise<RebalanceStatus> {
  return withClient(deps.adminUrl, async (client) => {
    await requireCitus(client, 'drainNode');
    const node = await findWorker(client, name, 'drained');
    const running = await readRebalanceStatus(client);
    if (isActive(running)) throw rebalanceBusy(running);
    await ensureCoordinatorLoopback(deps.adminUrl, deps.log);
    await client.query(`SELECT citus_set_node_property($1, $2, 'shouldhaveshards', false)`, [node.host, node.port]);
    let jobId: string | null;
    try {
      jobId = (await client.query<{ job: string | null }>('SELECT citus_rebalance_start(drain_only := true)::text AS job')).rows[0]!.job;
    } catch (error) {
      // Nothing moves: the node takes shards again as before.
      if (node.shouldhaveshards) await client.query(`SELECT citus_set_node_property($1, $2, 'shouldhaveshards', true)`, [node.host, node.port]).catch(() => undefined);
      if (isRebalanceConflict(error)) throw rebalanceBusy(await readRebalanceStatus(client));
      deps.log.error({ err: error, node: node.name }, 'citus_rebalance_start (drain) failed');
      throw opsUnavailable(`Citus could not start draining ${node.name}; nothing was changed (the recovery process's log has the details)`, error);
    }
    deps.log.info({ node: node.name, job: jobId }, 'drain started');
    if (jobId === null) {
      await publishClusterEvent(deps.bus, deps.log, 'NODE_DRAINED', node.name, `${node.name} holds no shards; nothing to move`);
      return { state: 'FINISHED', progress: 1, jobId: null, detail: `${node.name} holds no shards; nothing to move`, startedAt: null, finishedAt: null, done: 0, total: 0 };
    }
    monitor.follow(jobId, { drain: node.name });
    return readRebalanceStatus(client, jobId);
  });
}
