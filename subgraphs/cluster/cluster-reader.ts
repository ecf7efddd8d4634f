import pg from 'pg';
import type { Logger } from 'pino';
import type { DistributedTable } from '../../schema/generated/cluster-types.js';
import { clusterUnavailable } from '../../src/errors/safe-error.js';
import type { NodeView } from '../../src/ops/node-view.js';
import { IDLE, readRebalanceStatus, type RebalanceStatus } from '../../src/ops/rebalance-status.js';
import { readClusterMode, readClusterNodes, type ClusterMode } from './cluster-topology.js';
import { readDistributedTables } from './distributed-tables.js';

/** What `cluster` answers (nodes without `lastBackup`, resolved apart). */
export interface ClusterView {
  mode: ClusterMode;
  nodes: NodeView[];
  distributedTables: DistributedTable[];
  rebalance: RebalanceStatus;
}

/** Errors that mean the coordinator did not answer, not that a query was wrong. */
function isConnectionFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (typeof code === 'string' && (/^08/.test(code) || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code))) return true;
  return /timeout|Connection terminated/i.test(message ?? '');
}

/**
 * Reads the cluster through the catalog role. When the coordinator does not answer, the last
 * view read is answered with the coordinator DOWN and each worker probed directly (the catalog
 * role logs in on every node): status is measured, never assumed. Metadata (tables, rebalance
 * job, shard counts) lives on the coordinator and cannot change while it is down. With no view
 * read yet, the answer is CLUSTER_UNAVAILABLE.
 */
export class ClusterReader {
  private lastView: ClusterView | null = null;

  constructor(private readonly pool: pg.Pool, private readonly catalogUrl: string, private readonly schemas: readonly string[], private readonly log: Logger) {}

  private get self(): { host: string; port: number } {
    const url = new URL(this.catalogUrl);
    return { host: url.hostname, port: Number(url.port || 5432) };
  }

  async mode(): Promise<ClusterMode> {
    const client = await this.connect();
    try {
      return await readClusterMode(client);
    } finally {
      client.release();
    }
  }

  async read(): Promise<ClusterView> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      return this.degraded(error);
    }
    try {
      const mode = await readClusterMode(client);
      const view: ClusterView = {
        mode,
        nodes: await readClusterNodes(client, mode, this.self),
        distributedTables: mode === 'CITUS' ? await readDistributedTables(client, this.schemas) : [],
        rebalance: mode === 'CITUS' ? await readRebalanceStatus(client) : IDLE,
      };
      this.lastView = view;
      return view;
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      return this.degraded(error);
    } finally {
      client.release();
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      this.log.warn({ err: error }, 'the coordinator did not answer');
      throw clusterUnavailable('the coordinator did not answer; check `npx distrag status`', error);
    }
  }

  private async degraded(error: unknown): Promise<ClusterView> {
    this.log.warn({ err: error }, 'the coordinator did not answer; nodes probed one by one');
    const last = this.lastView;
    if (!last) throw clusterUnavailable('the coordinator did not answer; check `npx distrag status`', error);
    const nodes = await Promise.all(
      last.nodes.map(async (node): Promise<NodeView> => {
        const size = node.role === 'COORDINATOR' ? null : await this.probe(node);
        return { ...node, status: size === null ? 'DOWN' : 'UP', sizeBytes: size };
      }),
    );
    return { ...last, nodes };
  }

  /** A node's database size, read straight from it as the catalog role; null when it does not answer. */
  private async probe(node: { host: string; port: number }): Promise<number | null> {
    const url = new URL(this.catalogUrl);
    url.hostname = node.host;
    url.port = String(node.port);
    const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2_000, application_name: 'distrag-cluster' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database())::text AS size');
      return Number(rows[0]!.size);
    } catch {
      return null;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
