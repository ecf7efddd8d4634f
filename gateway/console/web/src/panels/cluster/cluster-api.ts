import type { GraphqlClient } from '../../api/graphql-client';
import type { Backup, Cluster, ClusterNode, DistributedTable, Rebalance } from '../../generated/cluster';

export type BackupView = Pick<Backup, 'id' | 'node' | 'startedAt' | 'finishedAt' | 'sizeBytes' | 'walStart' | 'walEnd' | 'verified'>;
export type NodeView = Pick<ClusterNode, 'name' | 'host' | 'port' | 'role' | 'status' | 'shardCount' | 'sizeBytes'> & {
  lastBackup?: Pick<Backup, 'id' | 'finishedAt' | 'verified'> | null;
};
export type TableView = Pick<DistributedTable, 'name' | 'kind' | 'distributionColumn' | 'colocationGroup' | 'shardCount'>;
export type RebalanceView = Pick<Rebalance, 'state' | 'progress' | 'jobId' | 'detail' | 'startedAt' | 'finishedAt'>;
export interface ClusterView {
  mode: Cluster['mode'];
  nodes: NodeView[];
  distributedTables: TableView[];
  rebalance: RebalanceView;
}

const REBALANCE_FIELDS = 'state progress jobId detail startedAt finishedAt';
const BACKUP_FIELDS = 'id node startedAt finishedAt sizeBytes walStart walEnd verified';

const CLUSTER = `query ConsoleCluster {
  cluster {
    mode
    nodes { name host port role status shardCount sizeBytes lastBackup { id finishedAt verified } }
    distributedTables { name kind distributionColumn colocationGroup shardCount }
    rebalance { ${REBALANCE_FIELDS} }
  }
}`;

/**
 * The panel's reads and mutations (CONTRACT §5 "Cluster subgraph"). `cluster` and `backups` are
 * separate requests: the catalog answers `cluster` even when the recovery process (which lists
 * the backups) does not.
 */
export const clusterApi = {
  cluster: (client: GraphqlClient) => client.request<{ cluster: ClusterView }>(CLUSTER).then((d) => d.cluster),
  backups: (client: GraphqlClient) => client.request<{ backups: BackupView[] }>(`query ConsoleBackups { backups { ${BACKUP_FIELDS} } }`).then((d) => d.backups),
  rebalance: (client: GraphqlClient) => client.request<{ rebalance: RebalanceView }>(`mutation ConsoleRebalance { rebalance { ${REBALANCE_FIELDS} } }`).then((d) => d.rebalance),
  drainNode: (client: GraphqlClient, name: string) =>
    client.request<{ drainNode: RebalanceView }>(`mutation ConsoleDrain($name: String!) { drainNode(name: $name) { ${REBALANCE_FIELDS} } }`, { name }).then((d) => d.drainNode),
  removeNode: (client: GraphqlClient, name: string) =>
    client.request<{ removeNode: Pick<ClusterNode, 'name'> }>('mutation ConsoleRemove($name: String!) { removeNode(name: $name) { name } }', { name }).then((d) => d.removeNode),
  addNode: (client: GraphqlClient, args: { host: string | null; port: number | null; start: boolean }) =>
    client
      .request<{ addNode: Pick<ClusterNode, 'name' | 'host' | 'port'> }>(
        'mutation ConsoleAddNode($host: String, $port: Int, $start: Boolean) { addNode(host: $host, port: $port, start: $start) { name host port } }',
        args,
      )
      .then((d) => d.addNode),
  createBackup: (client: GraphqlClient, node: string) =>
    client.request<{ createBackup: BackupView }>(`mutation ConsoleBackup($node: String!) { createBackup(node: $node) { ${BACKUP_FIELDS} } }`, { node }).then((d) => d.createBackup),
};

/** True while Citus has a shard-moving job in hand (a second one is refused). */
export function isMoving(rebalance: Pick<Rebalance, 'state'>): boolean {
  return rebalance.state === 'SCHEDULED' || rebalance.state === 'RUNNING';
}

/** Why the Citus-only actions cannot run, or null when they can. */
export function citusOnlyReason(mode: Cluster['mode']): string | null {
  return mode === 'SINGLE' ? 'Needs Citus: this cluster runs in SINGLE mode.' : null;
}
