import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import { listBackupRecords } from '../../backup/backup-record.js';
import { shortNodeName } from '../../backup/backup-targets.js';
import { readStackInfo } from '../../stack/stack-info.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';
import { renderRowsTable } from './rows-table.js';

/**
 * `distrag backups [--node NAME] [--json]`: the complete backups of each node (coordinator first),
 * newest first, from their backup.json files; works whether the stack runs or not.
 */
export async function backupsCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('backups', args, { node: { type: 'string' }, json: { type: 'boolean' } });
  const layout = stackLayout(config.home);
  const root = path.dirname(layout.backupDir('coordinator'));
  const onDisk = fs.existsSync(root) ? fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
  const known = [...new Set([...(readStackInfo(layout.stackFile)?.nodes.map((n) => n.name) ?? []), ...onDisk])].sort(byNode);
  let nodes = known;
  if (values.node !== undefined) {
    const wanted = shortNodeName(values.node);
    if (!known.includes(wanted)) throw new CliError(`distrag backups: unknown node "${values.node}"; known: ${known.join(', ') || 'none'}`, 2);
    nodes = [wanted];
  }
  const records = nodes.flatMap((node) => listBackupRecords(layout.backupDir(node)));
  if (values.json) {
    console.log(JSON.stringify(records, null, 2));
    return 0;
  }
  if (records.length === 0) {
    console.log('no backups yet (take one with `npx distrag backup`)');
    return 0;
  }
  const rows = records.map((r) => [r.node, r.id, r.finishedAt, `${(r.sizeBytes / 1_048_576).toFixed(1)} MB`, `${r.walStart}–${r.walEnd}`, r.verified ? 'yes' : 'NO']);
  console.log(renderRowsTable(['node', 'id', 'finished', 'size', 'WAL range', 'verified'], rows));
  return 0;
}

/** coordinator first, then workers by number. */
function byNode(a: string, b: string): number {
  const rank = (n: string) => (n === 'coordinator' ? -1 : Number(/^worker-(\d+)$/.exec(n)?.[1] ?? Number.MAX_SAFE_INTEGER));
  return rank(a) - rank(b) || a.localeCompare(b);
}
