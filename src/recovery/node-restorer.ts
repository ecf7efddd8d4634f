import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { nodeBackupPaths } from '../backup/backup-daemon.js';
import { nodeUrl } from '../db/with-client.js';
import { listBackupRecords, type BackupRecord } from '../backup/backup-record.js';
import { prepareRestore, RESTORE_SETTINGS } from '../backup/restore-backup.js';
import { verifyWal } from '../backup/verify-wal.js';
import { lsnValue } from '../backup/wal-range.js';
import { listWalSegments, segnoOf } from '../backup/wal-segments.js';
import type { ClusterNotifier } from '../events/cluster-notifier.js';
import type { RestoreResult } from '../ops/ops-routes.js';
import type { RunAs } from '../stack/service-user.js';
import type { BackupApi } from './backup-api.js';
import type { ServiceRuntime } from './service-runtime.js';

/** A restore asked for something impossible (unknown backup, target before the oldest backup…); nothing was changed. */
export class RestoreInputError extends Error {
  override name = 'RestoreInputError';
}

/** A restore that could not be done safely (no backup, damaged WAL); the node was left as it was. */
export class RestoreRefusedError extends Error {
  override name = 'RestoreRefusedError';
}

export interface NodeRestorerOptions {
  runtime: ServiceRuntime;
  backupRoot: string;
  binDir: string;
  backupApi: BackupApi;
  /** The coordinator's admin URL (the node's own is derived from its address). */
  adminUrl: string;
  runAs: RunAs | null;
  notifier: ClusterNotifier;
  log: Logger;
}

export interface RestoreRequest {
  node: string;
  /** The service's name in the runtime (`postgres-worker-1`). */
  service: string;
  address: { host: string; port: number };
  backupId: string | null;
  targetTime: string | null;
  reason: string;
}

/** Replaying WAL can take long on big restores: minutes, not the 60 s a normal start gets. */
const RESTORE_START_TIMEOUT_MS = 30 * 60_000;

/**
 * Brings one database node back from its base backup plus the WAL streamed since (to the end, or to
 * a target time), into a new data directory, never over a running node: the old directory is set
 * aside and the node started on the restored one. A full restore must replay every received
 * record (else it fails loudly); a point-in-time one promotes onto a new timeline, after which the
 * node's WAL stream starts over with a fresh base backup.
 */
export class NodeRestorer {
  constructor(private readonly options: NodeRestorerOptions) {}

  /** Which backup a request would use; throws RestoreInputError when none fits. */
  chooseBackup(node: string, backupId: string | null, targetTime: string | null): BackupRecord {
    const records = listBackupRecords(nodeBackupPaths(this.options.backupRoot, node).dir);
    if (targetTime !== null) {
      const at = Date.parse(targetTime);
      if (Number.isNaN(at)) throw new RestoreInputError(`targetTime "${targetTime}" is not a date and time (ISO 8601)`);
      if (at > Date.now()) throw new RestoreInputError(`targetTime ${targetTime} is in the future`);
    }
    if (records.length === 0) throw new RestoreRefusedError(`${node} has no complete base backup to restore from`);
    if (backupId !== null) {
      const record = records.find((r) => r.id === backupId);
      if (!record) throw new RestoreInputError(`${node} has no backup ${backupId}; it has ${records.map((r) => r.id).join(', ')}`);
      if (targetTime !== null && Date.parse(targetTime) < Date.parse(record.finishedAt)) {
        throw new RestoreInputError(`targetTime ${targetTime} is before backup ${backupId} finished (${record.finishedAt}); choose an older backup or a later time`);
      }
      return record;
    }
    if (targetTime === null) return records[0]!;
    const fitting = records.find((r) => Date.parse(r.finishedAt) <= Date.parse(targetTime));
    if (!fitting) {
      const oldest = records[records.length - 1]!;
      throw new RestoreInputError(`targetTime ${targetTime} is before the oldest backup of ${node} (${oldest.id}, finished ${oldest.finishedAt}); nothing older is kept`);
    }
    return fitting;
  }

  async restore(request: RestoreRequest): Promise<RestoreResult> {
    const { options } = this;
    const { node, service } = request;
    const began = Date.now();
    const record = this.chooseBackup(node, request.backupId, request.targetTime);
    const dataDir = options.runtime.dataDir(node);
    if (!dataDir) throw new RestoreRefusedError(`the data directory of ${node} is out of this process's reach`);
    const services = await options.runtime.services();
    if (services.find((s) => s.name === service)?.alive) {
      // By hand. To a past time, what the node wrote since does not matter: it is stopped at once
      // (a clean stop can wait up to wal_sender_timeout for the change feed's stream to confirm).
      // To the end, cleanly, so that its receiver gets the last of its WAL even when asynchronous.
      if (request.targetTime !== null) await options.runtime.kill(service);
      else await options.runtime.stop(service);
    }
    await options.backupApi.hold(node);
    let newTimeline = false;
    let replayedTo = '0/0';
    try {
      const paths = nodeBackupPaths(options.backupRoot, node);
      // Replay starts at the backup's start: check from there when the receiver has that WAL (it
      // started before the backup), else from the backup's end (its own pg_wal covers the rest).
      const from = listWalSegments(paths.walDir).some((s) => s.segno === segnoOf(record.walStart)) ? record.walStart : record.walEnd;
      const wal = await verifyWal(options.binDir, paths.walDir, from);
      if (wal.problem) throw new RestoreRefusedError(`not restoring ${node}: ${wal.problem}`);
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const staging = `${dataDir}.restore-${stamp}`;
      prepareRestore({ backupDir: path.join(paths.dir, record.id), walDir: paths.walDir, targetDir: staging, targetTime: request.targetTime, runAs: options.runAs });
      const previous = `${dataDir}.lost-${stamp}`;
      const hadData = fs.existsSync(dataDir);
      if (hadData) {
        for (const old of fs.readdirSync(path.dirname(dataDir)).filter((n) => n.startsWith(`${path.basename(dataDir)}.lost-`))) {
          fs.rmSync(path.join(path.dirname(dataDir), old), { recursive: true, force: true });
        }
        fs.renameSync(dataDir, previous);
      }
      fs.renameSync(staging, dataDir);
      try {
        await options.runtime.restart(service, { startTimeoutMs: RESTORE_START_TIMEOUT_MS });
      } catch (error) {
        // The restored directory would not start: the node goes back to the data it had (a restore
        // by hand of an intact node), which is set aside as `.failed-…` for a look.
        if (hadData) {
          fs.renameSync(dataDir, `${dataDir}.failed-${stamp}`);
          fs.renameSync(previous, dataDir);
          await options.runtime.restart(service).catch((again: unknown) => options.log.error({ err: again, node }, 'the node did not start again on its own data either'));
        }
        throw error;
      }
      // Only a point-in-time restore moves the node to a new timeline (its older backups and WAL then lead elsewhere).
      newTimeline = request.targetTime !== null;
      replayedTo = await this.finishRecovery(request.address, began + RESTORE_START_TIMEOUT_MS);
      if (request.targetTime === null && wal.end && lsnValue(replayedTo) < lsnValue(wal.end)) {
        throw new RestoreRefusedError(`${node} replayed its WAL only to ${replayedTo}, but the received WAL goes on to ${wal.end}: acknowledged commits may be missing; the node is running, check it before anything else`);
      }
    } finally {
      await options.backupApi.release(node, newTimeline).catch((error: unknown) => options.log.error({ err: error, node }, 'could not restart the WAL stream after the restore; the backup process must be restarted'));
    }
    const result: RestoreResult = { node, backupId: record.id, targetTime: request.targetTime, restoredAt: new Date().toISOString() };
    options.notifier.notify('NODE_RECOVERED', node, `${node} restored (${request.reason}) from backup ${record.id} plus its WAL${request.targetTime ? ` up to ${request.targetTime}` : ''} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return result;
  }

  /** Waits for the end of recovery (promotion), clears the restore's settings; resolves with where the node's WAL now ends. */
  private async finishRecovery(address: { host: string; port: number }, deadline: number): Promise<string> {
    const url = nodeUrl(this.options.adminUrl, address);
    for (;;) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
        if (!rows[0]?.recovering) {
          for (const setting of RESTORE_SETTINGS) await client.query(`ALTER SYSTEM RESET ${setting}`);
          await client.query('SELECT pg_reload_conf()');
          const { rows: position } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
          return position[0]!.lsn;
        }
      } catch (error) {
        if (Date.now() > deadline) throw error;
      } finally {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`the restored node at ${address.host}:${address.port} did not finish recovery in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
