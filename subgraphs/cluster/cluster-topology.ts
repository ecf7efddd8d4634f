import type pg from 'pg';
import type { ClusterNode } from '../../schema/generated/cluster-types.js';

export type ClusterMode = 'SINGLE' | 'CITUS';

interface DistNodeRow {
  groupid: number;
  nodename: string;
  nodeport: number;
  isactive: boolean;
  reachable: boolean | null;
}

/** Reads the cluster's membership: `pg_dist_node` under Citus, the one node otherwise. */
export async function readClusterTopology(pool: pg.Pool, self: { host: string; port: number }): Promise<{ mode: ClusterMode; nodes: ClusterNode[] }> {
  const { rows } = await pool.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
  if (!rows[0]?.citus) {
    return { mode: 'SINGLE', nodes: [{ name: 'coordinator', host: self.host, port: self.port, role: 'COORDINATOR', status: 'UP' }] };
  }
  // citus_check_connection_to_node opens a connection from the coordinator to each node.
  const { rows: nodes } = await pool.query<DistNodeRow>(`
    SELECT groupid, nodename, nodeport, isactive,
           CASE WHEN isactive THEN citus_check_connection_to_node(nodename, nodeport) END AS reachable
      FROM pg_dist_node
     WHERE noderole = 'primary'
     ORDER BY groupid`);
  return {
    mode: 'CITUS',
    nodes: nodes.map((n) => ({
      name: n.groupid === 0 ? 'coordinator' : `worker-${n.groupid}`,
      host: n.nodename,
      port: n.nodeport,
      role: n.groupid === 0 ? 'COORDINATOR' : 'WORKER',
      status: n.isactive && n.reachable ? 'UP' : 'DOWN',
    })),
  };
}
