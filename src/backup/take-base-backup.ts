import fs from 'node:fs';
import path from 'node:path';
import { backupId } from './backup-id.js';
import { DATA_DIR, writeBackupRecord, type BackupRecord } from './backup-record.js';
import type { BackupTarget } from './backup-targets.js';
import { runPgTool } from './run-pg-tool.js';
import { readWalRange } from './wal-range.js';

export interface TakeBaseBackupOptions {
  node: BackupTarget;
  /** A replication-capable role (the admin role) and its password. */
  user: string;
  password: string;
  /** The stack's PostgreSQL binaries (pg_basebackup, pg_verifybackup of the same version as the servers). */
  binDir: string;
  /** The node's backup directory, DISTRAG_HOME/backups/<node>. */
  nodeDir: string;
  report: (line: string) => void;
}

/** A backup that could not be taken; nothing of it is left behind. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** Work in progress: `.partial-<id>-<pid>`, renamed to `<id>` once complete and verified. */
const PARTIAL = /^\.partial-.+-(\d+)$/;

/**
 * One base backup of one node: pg_basebackup (plain format, WAL streamed alongside, a manifest with
 * CRC32C checksums, fast checkpoint) into a dot-directory beside the finished ones, pg_verifybackup
 * on it, backup.json, then one rename into place. On any failure the partial directory is removed,
 * so a node's backup directory only ever holds complete, verified backups.
 */
export async function takeBaseBackup(options: TakeBaseBackupOptions): Promise<BackupRecord> {
  const { node, nodeDir, report } = options;
  try {
    fs.mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new BackupError(`cannot create ${nodeDir}: ${(error as Error).message}`, { cause: error });
  }
  removeAbandoned(nodeDir);
  let started = new Date();
  while (fs.existsSync(path.join(nodeDir, backupId(started)))) started = new Date(started.getTime() + 1);
  const id = backupId(started);
  const partial = path.join(nodeDir, `.partial-${id}-${process.pid}`);
  try {
    fs.mkdirSync(partial, { mode: 0o700 });
  } catch (error) {
    throw new BackupError(`cannot write to ${nodeDir}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const dataDir = path.join(partial, DATA_DIR);
    report(`backing up ${node.name} (${node.host}:${node.port}) as ${id}`);
    await run(options, 'pg_basebackup', [
      '-h', node.host, '-p', String(node.port), '-U', options.user, '-w',
      '-D', dataDir, '-F', 'p', '-X', 'stream', '-c', 'fast', '--manifest-checksums=CRC32C',
    ]);
    report(`${node.name}: base backup written; verifying it with pg_verifybackup`);
    await run(options, 'pg_verifybackup', ['-q', dataDir]);
    const record: BackupRecord = {
      id,
      node: node.name,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      sizeBytes: treeSize(dataDir),
      ...readWalRange(path.join(dataDir, 'backup_manifest')),
      verified: true,
    };
    writeBackupRecord(partial, record);
    fs.renameSync(partial, path.join(nodeDir, id));
    report(`${node.name}: backup ${id} verified (${(record.sizeBytes / 1_048_576).toFixed(1)} MB, WAL ${record.walStart}–${record.walEnd})`);
    return record;
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError((error as Error).message, { cause: error });
  }
}

/** Runs one PostgreSQL client tool; a failure becomes a BackupError with the tool's error line. */
async function run(options: TakeBaseBackupOptions, tool: string, args: string[]): Promise<void> {
  try {
    await runPgTool(options.binDir, tool, args, { password: options.password });
  } catch (error) {
    throw new BackupError((error as Error).message, { cause: error });
  }
}

/** Removes partial directories whose process is gone (a backup killed midway). */
function removeAbandoned(nodeDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(nodeDir);
  } catch {
    return; // an unreadable directory fails the backup just after, with its own message
  }
  for (const name of names) {
    const pid = PARTIAL.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) fs.rmSync(path.join(nodeDir, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function treeSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeSize(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}
