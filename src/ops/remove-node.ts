import { dropSlot, slotName } from '../feed/feed-slots.js';
import { DATABASE_NAME } from '../stack/postgres-node.js';
import { findWorker, requireCitus } from './dist-nodes.js';
import type { NodeView } from './node-view.js';
import { opsBadInput, opsUnavailable } from './ops-error.js';
import type { OpsDeps } from './ops-routes.js';
import { publishClusterEvent } from './publish-cluster-event.js';
import { rebalanceBusy } from './rebalance-busy.js';
import { isActive, readRebalanceStatus } from './rebalance-status.js';
import { readShardCounts } from './shard-placements.js';
import { nodeUrl, withClient } from '../db/with-client.js';

/**
 * removeNode: refused — nothing changed — while the worker holds shards of distributed tables
 * (drain it first) or a rebalance runs; then citus_remove_node (Citus drops its copies of the
 * reference tables). The change feed stops following the node and drops its slot; the slot is
 * dropped here too when idle, so a node taken out while the feed is down keeps no WAL for it.
 */
export async function removeNode(deps: OpsDeps, name: string): Promise<NodeView> {
  return withClient(deps.adminUrl, async (client) => {
    await requireCitus(client, 'removeNode');
    const node = await findWorker(client, name, 'removed');
    const running = await readRebalanceStatus(client);
    if (isActive(running)) throw rebalanceBusy(running);
    const shards = (await readShardCounts(client)).get(node.groupid) ?? 0;
    if (shards > 0) {
      throw opsBadInput(`${node.name} still holds ${shards} shard placement${shards === 1 ? '' : 's'}; drain it first with drainNode(name: "${node.name}"), then remove it; nothing was changed`);
    }
    const { rows } = await client.query<{ reachable: boolean }>('SELECT citus_check_connection_to_node($1, $2) AS reachable', [node.host, node.port]);
    try {
      await client.query('SELECT citus_remove_node($1, $2)', [node.host, node.port]);
    } catch (error) {
      deps.log.error({ err: error, node: node.name }, 'citus_remove_node failed');
      throw opsUnavailable(`Citus could not remove ${node.name}; nothing was changed (the recovery process's log has the details)`, error);
    }
    deps.log.info({ node: node.name, host: node.host, port: node.port }, 'node removed');
    if (rows[0]?.reachable) {
      await withClient(nodeUrl(deps.adminUrl, node, DATABASE_NAME), (c) => dropSlot(c, slotName(node.name)), { connectTimeoutMs: 3_000 }).catch(() => undefined);
    }
    await publishClusterEvent(deps.bus, deps.log, 'NODE_REMOVED', node.name, `${node.host}:${node.port} (${node.name}) left the cluster`);
    return { name: node.name, host: node.host, port: node.port, role: 'WORKER', status: rows[0]?.reachable ? 'UP' : 'DOWN', shardCount: 0, sizeBytes: null };
  });
}
