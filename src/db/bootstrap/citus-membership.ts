import type pg from 'pg';

export interface NodeAddress {
  host: string;
  port: number;
}

/**
 * Makes the Citus metadata match the stack: the coordinator registered with its own address and
 * every worker added (idempotent: nodes already in pg_dist_node are left alone).
 */
export async function ensureCitusMembership(coordinatorClient: pg.ClientBase, coordinator: NodeAddress, workers: NodeAddress[]): Promise<void> {
  await coordinatorClient.query('SELECT citus_set_coordinator_host($1, $2)', [coordinator.host, coordinator.port]);
  const { rows } = await coordinatorClient.query<{ nodename: string; nodeport: number }>(
    `SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0`,
  );
  const known = new Set(rows.map((r) => `${r.nodename}:${r.nodeport}`));
  for (const worker of workers) {
    if (!known.has(`${worker.host}:${worker.port}`)) await coordinatorClient.query('SELECT citus_add_node($1, $2)', [worker.host, worker.port]);
  }
}
