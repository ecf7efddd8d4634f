import type pg from 'pg';
import { nodeNameOf } from '../../src/ops/node-names.js';
import type { NodeView } from '../../src/ops/node-view.js';
import { readShardCounts } from '../../src/ops/shard-placements.js';

export type ClusterMode = 'SINGLE' | 'CITUS';

interface DistNodeRow {
  groupid: number;
  nodename: string;
  nodeport: number;
  isactive: boolean;
  reachable: boolean | null;
}

/** How long the coordinator may try to reach a node before it counts as DOWN. */
const NODE_TIMEOUT_MS = 3_000;

export async function readClusterMode(client: pg.ClientBase): Promise<ClusterMode> {
  const { rows } = await client.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
  return rows[0]?.citus ? 'CITUS' : 'SINGLE';
}

/**
 * The cluster's nodes, each measured now. SINGLE: the one node, UP since it just answered, with
 * its database size. CITUS: pg_dist_node's primaries; each is UP when active and the coordinator
 * connects to it now (citus_check_connection_to_node, within NODE_TIMEOUT_MS); shard counts from
 * the placements; sizes (pg_database_size) from the nodes that answered, in one round trip.
 */
export async function readClusterNodes(client: pg.ClientBase, mode: ClusterMode, self: { host: string; port: number }): Promise<NodeView[]> {
  const { rows: size } = await client.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size');
  const ownSize = Number(size[0]!.size);
  if (mode === 'SINGLE') return [{ name: 'coordinator', host: self.host, port: self.port, role: 'COORDINATOR', status: 'UP', shardCount: 0, sizeBytes: ownSize }];
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('citus.node_connection_timeout', $1, true)`, [String(NODE_TIMEOUT_MS)]);
    const { rows: nodes } = await client.query<DistNodeRow>(`
      SELECT groupid, nodename, nodeport, isactive,
             CASE WHEN isactive THEN citus_check_connection_to_node(nodename, nodeport) END AS reachable
        FROM pg_dist_node
       WHERE noderole = 'primary'
       ORDER BY groupid`);
    const shards = await readShardCounts(client);
    const up = nodes.filter((n) => n.groupid !== 0 && n.isactive && n.reachable);
    const sizes = await readWorkerSizes(client, up);
    await client.query('COMMIT');
    return nodes.map((n) => ({
      name: nodeNameOf(n.groupid),
      host: n.nodename,
      port: n.nodeport,
      role: n.groupid === 0 ? 'COORDINATOR' : 'WORKER',
      status: n.isactive && n.reachable ? 'UP' : 'DOWN',
      shardCount: shards.get(n.groupid) ?? 0,
      sizeBytes: n.groupid === 0 ? ownSize : (sizes.get(`${n.nodename}:${n.nodeport}`) ?? null),
    }));
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** pg_database_size on each worker given (Citus's master_run_on_worker: one statement, in parallel). */
async function readWorkerSizes(client: pg.ClientBase, nodes: DistNodeRow[]): Promise<Map<string, number>> {
  if (nodes.length === 0) return new Map();
  const command = 'SELECT pg_database_size(current_database())';
  await client.query('SAVEPOINT sizes');
  try {
    const { rows } = await client.query<{ node_name: string; node_port: number; success: boolean; result: string }>(
      'SELECT node_name, node_port, success, result FROM master_run_on_worker($1::text[], $2::int[], $3::text[], true)',
      [nodes.map((n) => n.nodename), nodes.map((n) => n.nodeport), nodes.map(() => command)],
    );
    await client.query('RELEASE SAVEPOINT sizes');
    return new Map(rows.filter((r) => r.success).map((r) => [`${r.node_name}:${r.node_port}`, Number(r.result)]));
  } catch {
    // A node that stopped answering meanwhile: sizes unknown (null), the rest of the read stands.
    await client.query('ROLLBACK TO SAVEPOINT sizes');
    return new Map();
  }
}
