/** A node as the operations API and the cluster subgraph show it (`ClusterNode` without `lastBackup`). */
export interface NodeView {
  name: string;
  host: string;
  port: number;
  role: 'COORDINATOR' | 'WORKER';
  /** Measured: the node answered just now. */
  status: 'UP' | 'DOWN';
  /** Shards of distributed tables placed on it. */
  shardCount: number;
  /** pg_database_size on the node; null when it could not be measured. */
  sizeBytes: number | null;
}
