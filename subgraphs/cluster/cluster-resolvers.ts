import type { Logger } from 'pino';
import type { Backup, Resolvers } from '../../schema/generated/cluster-types.js';
import type { RequestContext } from '../../src/auth/request-context.js';
import { requireRole } from '../../src/auth/require-role.js';
import type { BackupRecord } from '../../src/backup/backup-record.js';
import { badInput } from '../../src/errors/safe-error.js';
import type { NodeView } from '../../src/ops/node-view.js';
import type { RestoreResult } from '../../src/ops/ops-routes.js';
import type { RebalanceStatus } from '../../src/ops/rebalance-status.js';
import type { ClusterReader } from './cluster-reader.js';
import { OPS_TIMEOUT_MS, type OpsClient } from './ops-client.js';

/**
 * The cluster subgraph's fields (CONTRACT §5 "Cluster subgraph"), all admin only: reads from the
 * catalog (ClusterReader), everything else from the operations API (OpsClient).
 */
export function clusterResolvers(reader: ClusterReader, ops: OpsClient, log: Logger): Resolvers {
  // One backup listing per request, however many nodes ask for their lastBackup.
  const newestBackups = new WeakMap<RequestContext, Promise<Map<string, BackupRecord> | null>>();
  const lastBackupOf = (context: RequestContext, node: string): Promise<BackupRecord | null> => {
    let listing = newestBackups.get(context);
    if (!listing) {
      listing = ops.configured
        ? ops.call<BackupRecord[]>(context.identity, 'GET', '/ops/backups').then(
            (records) => {
              const newest = new Map<string, BackupRecord>();
              for (const record of records) if (!newest.has(record.node)) newest.set(record.node, record);
              return newest;
            },
            (error: unknown) => {
              log.warn({ err: error }, 'lastBackup: the operations API did not answer; answering null');
              return null;
            },
          )
        : Promise.resolve(null);
      newestBackups.set(context, listing);
    }
    return listing.then((newest) => newest?.get(node) ?? null);
  };

  /** Adding, draining and removing nodes and rebalancing need Citus: answered here in SINGLE mode. */
  const requireCitus = async (operation: string) => {
    if ((await reader.mode()) === 'CITUS') return;
    throw badInput(`${operation} needs a Citus cluster; this one runs in SINGLE mode (one PostgreSQL node, no citus extension). Install Citus and start a new stack with DISTRAG_CITUS=on to shard over workers`);
  };

  return {
    Query: {
      cluster: async (_root, _args, { identity }) => {
        requireRole(identity, 'admin');
        return reader.read();
      },
      backups: async (_root, { node }, { identity }) => {
        requireRole(identity, 'admin');
        const query = node === null || node === undefined ? '' : `?node=${encodeURIComponent(node)}`;
        return ops.call<BackupRecord[]>(identity, 'GET', `/ops/backups${query}`);
      },
    },
    ClusterNode: {
      lastBackup: (node, _args, context) => lastBackupOf(context, node.name) as Promise<Backup | null>,
    },
    Mutation: {
      addNode: async (_root, { host, port, start }, { identity }) => {
        requireRole(identity, 'admin');
        await requireCitus('addNode');
        return ops.call<NodeView>(identity, 'POST', '/ops/nodes', { host: host ?? null, port: port ?? null, start: start ?? false });
      },
      drainNode: async (_root, { name }, { identity }) => {
        requireRole(identity, 'admin');
        await requireCitus('drainNode');
        return ops.call<RebalanceStatus>(identity, 'POST', `/ops/nodes/${encodeURIComponent(name)}/drain`, {});
      },
      removeNode: async (_root, { name }, { identity }) => {
        requireRole(identity, 'admin');
        await requireCitus('removeNode');
        return ops.call<NodeView>(identity, 'DELETE', `/ops/nodes/${encodeURIComponent(name)}`);
      },
      rebalance: async (_root, _args, { identity }) => {
        requireRole(identity, 'admin');
        await requireCitus('rebalance');
        return ops.call<RebalanceStatus>(identity, 'POST', '/ops/rebalance', {});
      },
      createBackup: async (_root, { node }, { identity }) => {
        requireRole(identity, 'admin');
        return ops.call<BackupRecord>(identity, 'POST', '/ops/backups', { node }, OPS_TIMEOUT_MS.long);
      },
      restoreNode: async (_root, { node, backupId, targetTime }, { identity }) => {
        requireRole(identity, 'admin');
        return ops.call<RestoreResult>(identity, 'POST', '/ops/restore', { node, backupId: backupId ?? null, targetTime: targetTime ?? null }, OPS_TIMEOUT_MS.long);
      },
    },
  };
}
