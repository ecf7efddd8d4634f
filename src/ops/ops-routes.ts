import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BackupRecord } from '../backup/backup-record.js';
import type { EventBus } from '../events/event-bus.js';

/** A node restored from a base backup (and the WAL after it, up to `targetTime` when given). */
export interface RestoreResult {
  node: string;
  backupId: string;
  targetTime: string | null;
  restoredAt: string;
}

/** What the operations API of the recovery process works with (it holds the admin credentials). */
export interface OpsDeps {
  /** The coordinator's admin URL (distrag_admin; the same password reaches every node). */
  adminUrl: string;
  /** Requests must carry an admin identity signed with it (x-distrag-identity), as the gateway signs. */
  internalSecret: string;
  bus: EventBus;
  log: Logger;
  /** The exposed schemas (config.dataSchemas): a new node's publication covers them. */
  schemas: string[];
  /** Starts a new worker on this machine (the CLI runtime) on the given port or the next free one; null where the runtime cannot (docker). */
  startWorker: ((port: number | null) => Promise<{ host: string; port: number }>) | null;
  /** A verified base backup of one node now (`coordinator`, `worker-1`, …). */
  takeBackup: (node: string) => Promise<BackupRecord>;
  /** Complete backups, newest first, of one node or of all. */
  listBackups: (node: string | null) => BackupRecord[];
  /** Point-in-time recovery by hand: `backupId` null takes the newest backup before `targetTime` (or the newest). */
  restoreNode: (node: string, backupId: string | null, targetTime: string | null) => Promise<RestoreResult>;
}

/** The operations API (`/ops/...`); resolves true when it answered the request. Filled in by the cluster-operations work. */
export function createOpsRoutes(_deps: OpsDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async () => false;
}
