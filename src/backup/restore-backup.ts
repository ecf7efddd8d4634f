import fs from 'node:fs';
import path from 'node:path';
import { chownTree, type RunAs } from '../stack/service-user.js';
import { DATA_DIR, RECORD_FILE, type BackupRecord } from './backup-record.js';
import { listWalSegments, segnoOf } from './wal-segments.js';

/** Settings under which a copy of a coordinator must not act on the live cluster (restore tests, PITR checks). */
export const ISOLATED_COPY_SETTINGS = [
  // Citus's maintenance daemon would otherwise settle the copy's view of prepared transactions on the real workers.
  'citus.recover_2pc_interval=-1',
  'citus.distributed_deadlock_detection_factor=-1',
  // The copy has no WAL receiver: commits must not wait for one.
  'synchronous_standby_names=',
];

export interface RestoreBackupOptions {
  /** One backup's directory: backups/<node>/<id> (holding data/ and backup.json). */
  backupDir: string;
  /** The node's WAL received since the backup (pg_receivewal's directory), or null to stop at the backup's end. */
  walDir: string | null;
  /** The new data directory; must not exist yet. */
  targetDir: string;
  /** Replay up to this moment (ISO time) instead of to the end of the WAL. */
  targetTime: string | null;
  runAs: RunAs | null;
}

/**
 * Lays a base backup out as a data directory that replays, on its first start, all the WAL
 * received since the backup: the receiver's segments are copied into its pg_wal (the one in
 * progress under its full name), readable by the server whatever owns the backup directory.
 * To the end, this is the crash recovery a base backup always gets: the node continues on the
 * same timeline, and the backups and WAL taken before stay valid. To `targetTime`, it is archive
 * recovery (recovery.signal), which then promotes onto a new timeline.
 */
export function prepareRestore(options: RestoreBackupOptions): void {
  const { targetDir, walDir } = options;
  if (fs.existsSync(targetDir)) throw new Error(`${targetDir} already exists; a restore never writes over a data directory`);
  fs.mkdirSync(path.dirname(targetDir), { recursive: true });
  const staging = `${targetDir}.copying`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(path.join(options.backupDir, DATA_DIR), staging, { recursive: true, preserveTimestamps: true });
  for (const stale of ['postmaster.pid', 'postmaster.opts']) fs.rmSync(path.join(staging, stale), { force: true });
  if (walDir) {
    const record = JSON.parse(fs.readFileSync(path.join(options.backupDir, RECORD_FILE), 'utf8')) as BackupRecord;
    const from = segnoOf(record.walStart);
    for (const segment of listWalSegments(walDir)) {
      if (segment.segno < from) continue;
      const name = segment.partial ? segment.file.slice(0, -'.partial'.length) : segment.file;
      fs.copyFileSync(path.join(walDir, segment.file), path.join(staging, 'pg_wal', name));
    }
  }
  if (options.targetTime) {
    const settings = [
      '',
      '# Written by a DistRAG point-in-time restore; removed once the node has promoted.',
      // Everything is in pg_wal already; recovery reads it there when the archive has nothing.
      `restore_command = 'false'`,
      // PostgreSQL's own timestamp syntax: the setting refuses ISO 8601's `T…Z` form.
      `recovery_target_time = '${new Date(options.targetTime).toISOString().replace('T', ' ').replace('Z', '+00')}'`,
      `recovery_target_action = 'promote'`,
      '',
    ];
    fs.appendFileSync(path.join(staging, 'postgresql.auto.conf'), settings.join('\n'));
    fs.writeFileSync(path.join(staging, 'recovery.signal'), '');
  }
  chownTree(staging, options.runAs);
  fs.chmodSync(staging, 0o700);
  fs.renameSync(staging, targetDir);
}

/** The recovery settings a point-in-time restore added, to clear once the node runs (ALTER SYSTEM RESET …). */
export const RESTORE_SETTINGS = ['restore_command', 'recovery_target_time', 'recovery_target_action'];
