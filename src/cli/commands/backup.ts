import type { Config } from '../../config/config.js';
import { selectBackupTargets } from '../../backup/backup-targets.js';
import { pruneBackups } from '../../backup/prune-backups.js';
import { BackupError, takeBaseBackup } from '../../backup/take-base-backup.js';
import type { BackupRecord } from '../../backup/backup-record.js';
import { findPostgresBinaries } from '../../stack/postgres-binaries.js';
import { ADMIN_USER } from '../../stack/postgres-node.js';
import { managerFor } from '../../stack/stack-control.js';
import { readStackInfo } from '../../stack/stack-info.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';
import { fillOpsEnvFromStack, untilSignal } from './ops-env.js';

/** The flags, checked (also by checkCliInvocation, without running anything). */
export function parseBackupArgs(args: string[]) {
  const { values } = parseFlags('backup', args, { node: { type: 'string' }, json: { type: 'boolean' }, watch: { type: 'boolean' } });
  if (values.watch && (values.node || values.json)) throw new CliError('distrag backup: --watch backs up every node continuously; it takes neither --node nor --json', 2);
  return values;
}

/**
 * `distrag backup [--node NAME] [--json]`: a verified base backup of every data node of the running
 * stack (or the one named) into DISTRAG_HOME/backups/<node>/<id>/, then retention (DISTRAG_BACKUP_KEEP).
 * Progress on stderr; `--json` prints the new records on stdout.
 */
export async function backupCommand(args: string[], config: Config): Promise<number> {
  const values = parseBackupArgs(args);
  if (values.watch) {
    fillOpsEnvFromStack(config, 'backup --watch');
    const { runBackupDaemon } = await import('../../backup/main.js');
    await runBackupDaemon();
    return untilSignal();
  }
  const layout = stackLayout(config.home);
  const info = readStackInfo(layout.stackFile);
  const running = new Set(managerFor(config).running().map((p) => p.name));
  if (!info || !running.has('postgres-coordinator')) {
    throw new CliError(`distrag backup: DistRAG is not running from ${config.home}; start it with \`npx distrag up --detach\` first`);
  }
  let targets;
  try {
    targets = selectBackupTargets(info.nodes, values.node);
  } catch (error) {
    throw new CliError(`distrag backup: ${(error as Error).message}`, 2);
  }
  const down = targets.find((t) => !running.has(`postgres-${t.name}`));
  if (down) throw new CliError(`distrag backup: node ${down.name} is not running; check \`npx distrag status\``);
  // The admin password as the running stack published it (`status --json` shows the same URL).
  const password = decodeURIComponent(new URL(info.urls.postgres).password);
  const { binDir } = findPostgresBinaries(config);
  const report = (line: string) => console.error(`distrag: ${line}`);
  const records: BackupRecord[] = [];
  for (const node of targets) {
    const nodeDir = layout.backupDir(node.name);
    try {
      records.push(await takeBaseBackup({ node, user: ADMIN_USER, password, binDir, nodeDir, report }));
    } catch (error) {
      if (error instanceof BackupError) throw new CliError(`distrag backup: ${node.name}: ${error.message}`);
      throw error;
    }
    const removed = pruneBackups(nodeDir, config.DISTRAG_BACKUP_KEEP);
    if (removed.length > 0) report(`${node.name}: removed ${removed.length} older backup(s) (${removed.join(', ')}); keeping ${config.DISTRAG_BACKUP_KEEP} (DISTRAG_BACKUP_KEEP)`);
  }
  if (values.json) console.log(JSON.stringify(records, null, 2));
  return 0;
}
