import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../stack/port-check.js';
import { chownTree, type RunAs } from '../stack/service-user.js';
import { adminUrl } from '../stack/postgres-node.js';
import { DATA_DIR } from './backup-record.js';
import { MARKER_QUERY } from './backup-marker.js';
import { ISOLATED_COPY_SETTINGS } from './restore-backup.js';

const LOOPBACK = '127.0.0.1';

export interface TestRestoreOptions {
  backupDir: string;
  binDir: string;
  /** The admin password (the copy keeps the node's roles). */
  password: string;
  /** The row written before the backup that the copy must hold. */
  marker: string;
  runAs: RunAs | null;
  timeoutMs?: number;
}

/**
 * The scheduled restore test: starts a copy of the backup on a spare port (isolated from the live
 * cluster), checks that it reaches consistency and holds the marker row, stops it and removes it.
 * Resolves null when it passed, else why it failed.
 */
export async function testRestore(options: TestRestoreOptions): Promise<string | null> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-restore-test-'));
  const dataDir = path.join(scratch, 'data');
  let child: ReturnType<typeof spawn> | null = null;
  let log = '';
  try {
    fs.cpSync(path.join(options.backupDir, DATA_DIR), dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
    chownTree(scratch, options.runAs);
    fs.chmodSync(dataDir, 0o700);
    // Loopback only: the copy is reached from this process alone (in a container, the node's
    // hostname is not one of this container's addresses).
    const port = await freePort(LOOPBACK);
    child = spawn(path.join(options.binDir, 'postgres'), ['-D', dataDir, '-p', String(port), '-c', `listen_addresses=${LOOPBACK}`, ...ISOLATED_COPY_SETTINGS.flatMap((s) => ['-c', s])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-2000)));
    let exited = false;
    child.once('exit', () => (exited = true));
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const url = adminUrl({ host: LOOPBACK, port, password: options.password });
    for (;;) {
      if (exited) return `the restored copy did not start: ${lastLine(log)}`;
      if (Date.now() > deadline) return `the restored copy did not accept connections within ${options.timeoutMs ?? 60_000} ms`;
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ found: number }>(MARKER_QUERY, [options.marker]);
        return rows[0]?.found === 1 ? null : `the restored copy lacks the marker row ${options.marker} written before the backup`;
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 57P03: still starting up (replaying the backup's WAL).
        if (code !== '57P03' && code !== undefined && !/ECONNREFUSED/.test(String(error))) return `the restored copy answered with an error: ${(error as Error).message}`;
      } finally {
        await client.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child!.once('exit', r));
      child.kill('SIGQUIT');
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '(no output)';
}
