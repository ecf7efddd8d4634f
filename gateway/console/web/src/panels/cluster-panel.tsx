import { useCallback, useEffect, useState } from 'react';
import type { LiveEvent } from '../api/live-feed';
import { useQuery } from '../api/use-query';
import { ErrorNote } from '../components/error-note';
import { useConsole } from '../console-context';
import { AddNodeForm } from './cluster/add-node-form';
import { BackupsTable } from './cluster/backups-table';
import { citusOnlyReason, clusterApi, isMoving, type ClusterView } from './cluster/cluster-api';
import { humanBytes } from '../format';
import { NodesTable } from './cluster/nodes-table';
import { RebalanceCard } from './cluster/rebalance-card';
import { ShardChart } from './cluster/shard-chart';
import { TablesTable } from './cluster/tables-table';

const POLL_MS = 5_000;

/**
 * The database cluster (admins only): its mode, nodes, shards, distributed tables, rebalance and
 * backups, with the operations on them. Read every 5 s, and at once on each cluster event
 * (REBALANCE_*, NODE_DRAINED, NODE_DOWN, BACKUP_COMPLETED, …).
 */
export function ClusterPanel() {
  const { client, feed } = useConsole();
  const cluster = useQuery(
    useCallback(() => clusterApi.cluster(client), [client]),
    'cluster',
    POLL_MS,
  );
  const backups = useQuery(
    useCallback(() => clusterApi.backups(client), [client]),
    'backups',
    POLL_MS,
  );
  const [lastEvent, setLastEvent] = useState<LiveEvent | null>(null);
  const { reload: reloadCluster } = cluster;
  const { reload: reloadBackups } = backups;
  const reload = useCallback(() => {
    reloadCluster();
    reloadBackups();
  }, [reloadCluster, reloadBackups]);

  useEffect(
    () =>
      feed.onEvent((event) => {
        if (event.kind !== 'cluster') return;
        setLastEvent(event);
        reload();
      }),
    [feed, reload],
  );

  const view = cluster.data;
  if (!view) {
    return (
      <section>
        <h2>Cluster</h2>
        {cluster.error ? <ErrorNote error={cluster.error} /> : <p className="muted">Reading the cluster…</p>}
      </section>
    );
  }
  const citusOnly = citusOnlyReason(view.mode);
  return (
    <section className="cluster">
      <div className="row cluster-head">
        <h2 className="grow">Cluster</h2>
        <span className="muted">read every {POLL_MS / 1000} s and on each cluster event</span>
        <button type="button" className="secondary" onClick={reload} data-testid="cluster-refresh">
          Refresh
        </button>
      </div>
      {/* A failed poll keeps the last answer on screen, with the error above it. */}
      <ErrorNote error={cluster.error} />
      <Summary view={view} />

      <div className="card">
        <h3 className="cluster-first">Nodes</h3>
        <NodesTable nodes={view.nodes} citusOnly={citusOnly} moving={isMoving(view.rebalance)} onChanged={reload} />
        <h3>Add a node</h3>
        {citusOnly ? (
          <p className="muted cluster-reason" data-testid="add-node-disabled-reason">
            {citusOnly}
          </p>
        ) : null}
        <AddNodeForm citusOnly={citusOnly} onChanged={reload} />
      </div>

      <div className="cluster-columns">
        <div className="card">
          <h3 className="cluster-first">Shards and size per node</h3>
          <ShardChart nodes={view.nodes} />
        </div>
        <div className="card">
          <h3 className="cluster-first">Rebalance</h3>
          <RebalanceCard rebalance={view.rebalance} citusOnly={citusOnly} lastEvent={lastEvent} onChanged={reload} />
        </div>
      </div>

      <div className="card">
        <h3 className="cluster-first">Distributed tables</h3>
        <TablesTable tables={view.distributedTables} single={view.mode === 'SINGLE'} />
      </div>

      <div className="card">
        <h3 className="cluster-first">Backups</h3>
        <BackupsTable backups={backups.data} error={backups.error} />
      </div>
    </section>
  );
}

function Summary({ view }: { view: ClusterView }) {
  const up = view.nodes.filter((n) => n.status === 'UP').length;
  const shards = view.nodes.reduce((sum, n) => sum + n.shardCount, 0);
  const size = view.nodes.reduce((sum, n) => sum + (n.sizeBytes ?? 0), 0);
  return (
    <div className="stats cluster-stats">
      <div className="stat">
        <div className="value" data-testid="cluster-mode">
          {view.mode}
        </div>
        <div className="label">mode</div>
      </div>
      <div className="stat">
        <div className="value" data-testid="cluster-nodes-up">
          {up}/{view.nodes.length}
        </div>
        <div className="label">nodes up</div>
      </div>
      <div className="stat">
        <div className="value">{shards}</div>
        <div className="label">shards</div>
      </div>
      <div className="stat">
        <div className="value">{humanBytes(size)}</div>
        <div className="label">data</div>
      </div>
      <div className="stat">
        <div className="value">{view.distributedTables.length}</div>
        <div className="label">distributed tables</div>
      </div>
    </div>
  );
}
