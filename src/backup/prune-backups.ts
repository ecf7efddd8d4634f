import fs from 'node:fs';
import path from 'node:path';
import { listBackupRecords } from './backup-record.js';

/** Deletes a node's complete backups beyond the newest `keep`; returns the ids deleted. */
export function pruneBackups(nodeDir: string, keep: number): string[] {
  const old = listBackupRecords(nodeDir).slice(keep).map((r) => r.id);
  for (const id of old) fs.rmSync(path.join(nodeDir, id), { recursive: true, force: true });
  return old;
}
