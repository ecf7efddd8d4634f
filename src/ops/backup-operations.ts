import type { Logger } from 'pino';
import { shortNodeName } from '../backup/backup-targets.js';
import type { BackupRecord } from '../backup/backup-record.js';
import { hasCitus } from '../db/tenancy.js';
import { readDistNodes } from './dist-nodes.js';
import { COORDINATOR, groupOfNodeName, isPlausibleNodeName } from './node-names.js';
import { OpsError, opsBadInput, opsNotFound, opsUnavailable } from './ops-error.js';
import type { OpsDeps, RestoreResult } from './ops-routes.js';
import { withClient } from '../db/with-client.js';

/** `backups(node)`: complete backups, newest first, of one node or of all. */
export function listNodeBackups(deps: OpsDeps, node: string | null): BackupRecord[] {
  if (node === null) return deps.listBackups(null);
  const name = shortNodeName(node.trim());
  if (!isPlausibleNodeName(name)) throw opsBadInput(`"${node}" is not a node name (coordinator, worker-1, …)`);
  return deps.listBackups(name);
}

/** `createBackup(node)`: a node the cluster has (when the coordinator answers to say so), backed up now. */
export async function createNodeBackup(deps: OpsDeps, node: string): Promise<BackupRecord> {
  const name = shortNodeName(node.trim());
  const known = await knownNodes(deps.adminUrl);
  if (known !== null && !known.includes(name)) throw opsNotFound(`no node named "${node}"; the cluster has ${known.join(', ')}`);
  try {
    return await deps.takeBackup(name);
  } catch (error) {
    throw depsFailure(deps.log, `the backup of ${name}`, error);
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/**
 * `restoreNode(node, backupId, targetTime)`, checked before anything is touched: the backup must
 * exist, `targetTime` must be a time with its zone, not in the future, and not before the backup
 * finished (WAL replay cannot go back before it).
 */
export async function restoreFromBackup(deps: OpsDeps, input: { node: string; backupId: string | null; targetTime: string | null }): Promise<RestoreResult> {
  const node = shortNodeName(input.node.trim());
  if (groupOfNodeName(node) === null) throw opsBadInput(`"${input.node}" is not a node name (coordinator, worker-1, …)`);
  let target: Date | null = null;
  if (input.targetTime !== null) {
    target = new Date(input.targetTime);
    if (!ISO_TIME.test(input.targetTime) || Number.isNaN(target.getTime())) {
      throw opsBadInput(`targetTime "${input.targetTime}" is not an ISO 8601 time with its zone, e.g. 2025-01-31T12:00:00Z`);
    }
    if (target.getTime() > Date.now()) throw opsBadInput(`targetTime ${target.toISOString()} is in the future`);
  }
  const backups = deps.listBackups(node);
  if (input.backupId !== null) {
    const backup = backups.find((b) => b.id === input.backupId);
    if (!backup) throw opsNotFound(`${node} has no backup ${input.backupId}; backups(node: "${node}") lists them`);
    if (target && target.getTime() < Date.parse(backup.finishedAt)) {
      throw opsBadInput(`backup ${backup.id} of ${node} finished at ${backup.finishedAt}, after targetTime ${target.toISOString()}; choose an older backup, or leave backupId out to take the newest before targetTime`);
    }
  } else if (backups.length === 0) {
    throw opsNotFound(`${node} has no backup to restore from; take one with createBackup(node: "${node}")`);
  } else if (target && !backups.some((b) => Date.parse(b.finishedAt) <= target!.getTime())) {
    throw opsNotFound(`${node} has no backup that finished before ${target.toISOString()}`);
  }
  try {
    return await deps.restoreNode(node, input.backupId, target?.toISOString() ?? null);
  } catch (error) {
    throw depsFailure(deps.log, `restoring ${node}`, error);
  }
}

/** The nodes' names, or null when the coordinator does not answer (the request then goes ahead unchecked). */
async function knownNodes(adminUrl: string): Promise<string[] | null> {
  try {
    return await withClient(adminUrl, async (client) => ((await hasCitus(client)) ? (await readDistNodes(client)).map((n) => n.name) : [COORDINATOR]), { connectTimeoutMs: 5_000 });
  } catch {
    return null;
  }
}

/**
 * A failure of the backup or recovery work (OpsDeps): an OpsError keeps its code; any other error
 * becomes CLUSTER_UNAVAILABLE with its message (written for operators by those modules, as the
 * CLI prints it), unless it is a driver error (a SQLSTATE code), whose message stays in the log.
 */
function depsFailure(log: Logger, what: string, error: unknown): OpsError {
  if (error instanceof OpsError) return error;
  log.error({ err: error }, `${what} failed`);
  const code = (error as { code?: unknown } | null)?.code;
  const driver = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const reason = error instanceof Error && !driver ? `: ${error.message.slice(0, 500)}` : ' (the recovery process\'s log has the details)';
  return opsUnavailable(`${what} failed${reason}`, error);
}
