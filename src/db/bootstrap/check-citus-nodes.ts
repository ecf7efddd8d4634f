import type pg from 'pg';

export class CitusClusterError extends Error {
  override name = 'CitusClusterError';
}

/**
 * Every node must run the same Citus extension version (as ensureDatabase read it): a worker left
 * at an older version (a data directory from an earlier Citus) fails distributed commands in ways
 * that name neither node.
 */
export function assertSameCitusVersion(versions: Array<{ name: string; version: string | null }>): void {
  const [first] = versions;
  const odd = versions.find((v) => v.version !== first?.version);
  if (first && odd) {
    const list = versions.map((v) => `${v.name} ${v.version ?? 'none'}`).join(', ');
    throw new CitusClusterError(`the Citus extension differs between nodes (${list}); install the same Citus on every node and run ALTER EXTENSION citus UPDATE on the older ones, or start from a new DISTRAG_HOME`);
  }
}

/**
 * Every worker the coordinator's metadata lists must answer before anything touches the cluster:
 * DDL and metadata syncs would otherwise fail half-way with a connection error.
 */
export async function assertWorkersReachable(coordinator: pg.ClientBase): Promise<void> {
  const down = (await readWorkerReachability(coordinator)).filter((r) => !r.reachable);
  if (down.length === 0) return;
  const list = down.map((r) => `${r.nodename}:${r.nodeport}`).join(', ');
  const first = down[0]!;
  throw new CitusClusterError(
    `the cluster's worker${down.length > 1 ? 's' : ''} ${list} do${down.length > 1 ? '' : 'es'} not answer; start ${down.length > 1 ? 'them' : 'it'} (DistRAG's own workers: \`npx distrag up --workers N\` with the count the cluster was made with), or take ${down.length > 1 ? 'them' : 'it'} out of the cluster: SELECT citus_remove_node('${first.nodename}', ${first.nodeport})`,
  );
}

/** Every active primary worker in the coordinator's metadata, and whether the coordinator reaches it now. */
export async function readWorkerReachability(coordinator: pg.ClientBase): Promise<Array<{ nodename: string; nodeport: number; reachable: boolean }>> {
  const { rows } = await coordinator.query<{ nodename: string; nodeport: number; reachable: boolean }>(
    `SELECT nodename, nodeport, citus_check_connection_to_node(nodename, nodeport) AS reachable
       FROM pg_dist_node WHERE isactive AND noderole = 'primary' AND groupid <> 0 ORDER BY groupid`,
  );
  return rows;
}
