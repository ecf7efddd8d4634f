import fs from 'node:fs';
import path from 'node:path';

/** What `distrag backup` writes as backup.json beside each base backup (CONTRACT §5, `backups(node)`). */
export interface BackupRecord {
  /** UTC timestamp `YYYYMMDDTHHMMSSmmmZ`: sorts as the backups were started, unique per node. */
  id: string;
  /** The node's short name: `coordinator`, `worker-1`, … */
  node: string;
  startedAt: string;
  finishedAt: string;
  /** Bytes of the backup's data directory (WAL and manifest included). */
  sizeBytes: number;
  /** The WAL range the backup needs to be consistent, from its backup_manifest ("WAL-Ranges"). */
  walStart: string;
  walEnd: string;
  /** True once pg_verifybackup accepted the backup (a backup that fails it is not kept). */
  verified: boolean;
}

/** The file name of the record inside a backup's directory; its presence marks the backup complete. */
export const RECORD_FILE = 'backup.json';
/** The backup's PostgreSQL data directory inside its directory (what `postgres -D` starts). */
export const DATA_DIR = 'data';

export function writeBackupRecord(backupDir: string, record: BackupRecord): void {
  fs.writeFileSync(path.join(backupDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The complete backups in one node's backup directory, newest first: directories holding a
 * backup.json (work in progress lives in dot-directories and is never listed).
 */
export function listBackupRecords(nodeDir: string): BackupRecord[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(nodeDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const records: BackupRecord[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(nodeDir, entry.name, RECORD_FILE), 'utf8')) as BackupRecord);
    } catch {
      // Not a complete backup (no or unreadable record): not listed, not counted for retention.
    }
  }
  return records.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
