import type pg from 'pg';
import { hasCitus } from '../db/tenancy.js';
import type { DataNode } from './node-change-reader.js';

/**
 * The nodes that hold data and so have a change stream: the single node, or under Citus the
 * coordinator (reference tables, local tables) and every active primary worker in pg_dist_node,
 * reached with the credentials of the coordinator URL (the feed's role exists on every node).
 */
export async function readDataNodes(coordinator: pg.ClientBase, coordinatorUrl: string): Promise<DataNode[]> {
  const self: DataNode = { name: 'coordinator', url: coordinatorUrl, worker: false };
  if (!(await hasCitus(coordinator))) return [self];
  const { rows } = await coordinator.query<{ groupid: number; nodename: string; nodeport: number }>(
    `SELECT groupid, nodename, nodeport FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND groupid <> 0 ORDER BY groupid`,
  );
  return [
    self,
    ...rows.map((row) => {
      const url = new URL(coordinatorUrl);
      url.hostname = row.nodename;
      url.port = String(row.nodeport);
      return { name: `worker-${row.groupid}`, url: url.toString(), worker: true };
    }),
  ];
}
