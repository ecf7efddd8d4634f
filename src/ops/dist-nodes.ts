import type pg from 'pg';
import { hasCitus } from '../db/tenancy.js';
import { opsBadInput, opsNotFound } from './ops-error.js';
import { groupOfNodeName, nodeNameOf } from './node-names.js';

/** A primary node of Citus's metadata (pg_dist_node). */
export interface DistNode {
  name: string;
  groupid: number;
  host: string;
  port: number;
  isactive: boolean;
  shouldhaveshards: boolean;
}

/** The primary nodes, coordinator first. */
export async function readDistNodes(client: pg.ClientBase): Promise<DistNode[]> {
  const { rows } = await client.query<Omit<DistNode, 'name'> & { nodename: string; nodeport: number }>(
    `SELECT groupid, nodename, nodeport, isactive, shouldhaveshards FROM pg_dist_node WHERE noderole = 'primary' ORDER BY groupid`,
  );
  return rows.map((r) => ({ name: nodeNameOf(r.groupid), groupid: r.groupid, host: r.nodename, port: r.nodeport, isactive: r.isactive, shouldhaveshards: r.shouldhaveshards }));
}

/** Node operations need Citus: in SINGLE mode they are refused with a clear BAD_USER_INPUT. */
export async function requireCitus(client: pg.ClientBase, operation: string): Promise<void> {
  if (await hasCitus(client)) return;
  throw opsBadInput(
    `${operation} needs a Citus cluster; this one runs in SINGLE mode (one PostgreSQL node, no citus extension). Install Citus and start a new stack with DISTRAG_CITUS=on to shard over workers`,
  );
}

/** A worker by name (`worker-2`, `postgres-worker-2`); the coordinator and unknown names are refused. */
export async function findWorker(client: pg.ClientBase, name: string, operation: string): Promise<DistNode> {
  const groupid = groupOfNodeName(name);
  const nodes = await readDistNodes(client);
  const node = nodes.find((n) => n.groupid === groupid);
  if (!node) throw opsNotFound(`no node named "${name}"; the cluster has ${nodes.map((n) => n.name).join(', ')}`);
  if (node.groupid === 0) throw opsBadInput(`the coordinator cannot be ${operation}: it holds the cluster's metadata; name a worker (${nodes.filter((n) => n.groupid !== 0).map((n) => n.name).join(', ') || 'none yet'})`);
  return node;
}
