import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupRecord } from '../src/backup/backup-record.js';
import { lsnValue } from '../src/backup/wal-range.js';
import { loadConfig } from '../src/config/config.js';
import { isPortFree } from '../src/stack/port-check.js';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { privateStackEnv } from '../src/stack/private-stack.js';
import { chownTree, resolveServiceUser } from '../src/stack/service-user.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { readStackInfo, type StackInfo } from '../src/stack/stack-info.js';
import { runCli } from './support/run-cli.js';

const MARKER = `written before the backup ${Date.now()}`;

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Every backup directory (complete or not) of every node: what a failed command must leave as it
 * was. (The backup process's WAL directory, `wal/`, and its files beside the nodes are not backups.)
 */
function backupTree(home: string): string[] {
  const root = path.join(home, 'backups');
  if (!fs.existsSync(root)) return [];
  const dirs = (dir: string) => fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  return dirs(root).flatMap((node) => dirs(path.join(root, node)).filter((id) => id !== 'wal' && id !== 'superseded').map((id) => `${node}/${id}`)).sort();
}

function listed(env: Record<string, string>, ...args: string[]): BackupRecord[] {
  const result = runCli(['backups', '--json', ...args], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as BackupRecord[];
}

/**
 * A failure: non-zero exit and one error line (no stack trace), last on stderr; with `progress`, the
 * progress lines printed before it (`distrag: …`) may precede it.
 */
function expectOneLineFailure(result: { code: number | null; stderr: string }, pattern: RegExp, progress = false) {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.trim().split('\n');
  if (progress) for (const line of lines.slice(0, -1)) expect(line).toMatch(/^distrag: /);
  else expect(lines).toHaveLength(1);
  expect(lines[lines.length - 1]).toMatch(pattern);
}

describe('distrag backup / backups', () => {
  let env: Record<string, string>;
  let home: string;
  let info: StackInfo;

  beforeAll(async () => {
    // Base backups by hand only: the backup process would otherwise take one of each node at start.
    env = await privateStackEnv('distrag-backup', { DISTRAG_SEED_SCALE: '0.05', DISTRAG_BACKUP_KEEP: '2', DISTRAG_BACKUP_SCHEDULED: 'false' });
    home = env.DISTRAG_HOME!;
    const up = runCli(['up', '--detach'], env);
    expect(up.code, up.stderr).toBe(0);
    info = readStackInfo(stackLayout(home).stackFile)!;
    // A row written before any backup, on the coordinator, for the restore test to find.
    await query(info.urls.postgres, 'CREATE SCHEMA backup_test; CREATE TABLE backup_test.marker (note text)');
    await query(info.urls.postgres, 'INSERT INTO backup_test.marker VALUES ($1)', [MARKER]);
  });

  afterAll(() => {
    runCli(['down'], env);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('backs up every data node, verified, and lists the backups', () => {
    const result = runCli(['backup', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/distrag: backing up coordinator/);
    const records = JSON.parse(result.stdout) as BackupRecord[];
    // In CITUS mode the workers hold the shards: each is backed up too.
    expect(records.map((r) => r.node)).toEqual(info.nodes.map((n) => n.name));
    if (info.mode === 'CITUS') expect(records.map((r) => r.node)).toEqual(['coordinator', 'worker-1', 'worker-2']);
    for (const record of records) {
      expect(record.id).toMatch(/^\d{8}T\d{9}Z$/);
      expect(record.verified).toBe(true);
      expect(record.sizeBytes).toBeGreaterThan(1_000_000);
      expect(lsnValue(record.walStart) <= lsnValue(record.walEnd)).toBe(true);
      expect(Date.parse(record.startedAt)).toBeLessThanOrEqual(Date.parse(record.finishedAt));
      const dir = path.join(home, 'backups', record.node, record.id);
      // The record on disk is the one printed; the data directory carries its manifest and its WAL.
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'backup.json'), 'utf8'))).toEqual(record);
      expect(fs.existsSync(path.join(dir, 'data', 'backup_manifest'))).toBe(true);
      expect(fs.readdirSync(path.join(dir, 'data', 'pg_wal')).some((f) => /^[0-9A-F]{24}$/.test(f))).toBe(true);
      // pg_verifybackup agrees now, too.
      const binDir = findPostgresBinaries(loadConfig({ ...process.env, ...env })).binDir;
      expect(spawnSync(path.join(binDir, 'pg_verifybackup'), ['-q', path.join(dir, 'data')]).status).toBe(0);
    }
    expect(backupTree(home).some((entry) => entry.includes('.partial'))).toBe(false);
    expect(listed(env)).toEqual(records);
    const table = runCli(['backups'], env);
    expect(table.stdout).toMatch(/^node\s+\| id\s+\| finished\s+\| size\s+\| WAL range\s+\| verified/);
    expect(table.stdout).toMatch(new RegExp(`coordinator \\| ${records[0]!.id} .*\\| yes`));
  });

  it('takes one node with --node (either name form) and keeps DISTRAG_BACKUP_KEEP per node', () => {
    const before = listed(env, '--node', 'coordinator');
    const made: string[] = [];
    for (const name of ['postgres-coordinator', 'coordinator']) {
      const result = runCli(['backup', '--node', name, '--json'], env);
      expect(result.code, result.stderr).toBe(0);
      const records = JSON.parse(result.stdout) as BackupRecord[];
      expect(records.map((r) => r.node)).toEqual(['coordinator']);
      made.push(records[0]!.id);
    }
    // Three coordinator backups taken, two kept (the newest); the other nodes untouched.
    const after = listed(env, '--node', 'postgres-coordinator');
    expect(after.map((r) => r.id)).toEqual([made[1], made[0]]);
    expect(fs.existsSync(path.join(home, 'backups', 'coordinator', before[0]!.id))).toBe(false);
    for (const node of info.nodes.slice(1)) expect(listed(env, '--node', node.name)).toHaveLength(1);
  });

  it('refuses an unknown node with one line and changes nothing', () => {
    const tree = backupTree(home);
    expectOneLineFailure(runCli(['backup', '--node', 'worker-9'], env), /^distrag backup: unknown node "worker-9"; this stack has coordinator/);
    expectOneLineFailure(runCli(['backups', '--node', 'worker-9'], env), /^distrag backups: unknown node "worker-9"/);
    expect(backupTree(home)).toEqual(tree);
  });

  it('fails cleanly when the node’s backup directory is unwritable, leaving the older backups intact', () => {
    const node = info.nodes[info.nodes.length - 1]!.name;
    const nodeDir = path.join(home, 'backups', node);
    const tree = backupTree(home);
    const records = listed(env, '--node', node);
    fs.chmodSync(nodeDir, 0o500);
    // Root writes through permission bits: there the directory is made immutable as well.
    const root = process.getuid?.() === 0;
    if (root) expect(spawnSync('chattr', ['+i', nodeDir]).status).toBe(0);
    try {
      expectOneLineFailure(runCli(['backup', '--node', node], env), new RegExp(`^distrag backup: ${node}: cannot write to ${nodeDir}`));
    } finally {
      if (root) spawnSync('chattr', ['-i', nodeDir]);
      fs.chmodSync(nodeDir, 0o700);
    }
    expect(backupTree(home)).toEqual(tree);
    expect(listed(env, '--node', node)).toEqual(records);
  });

  it('a failing pg_basebackup (refused login) leaves no partial directory and the older backups intact', () => {
    // The CLI takes the admin password from what `up` published; a wrong one there makes the real
    // server refuse pg_basebackup after the backup's work directory was made.
    const stackFile = stackLayout(home).stackFile;
    const published = fs.readFileSync(stackFile, 'utf8');
    const wrong = JSON.parse(published) as StackInfo;
    const url = new URL(wrong.urls.postgres);
    url.password = 'not-the-password';
    wrong.urls.postgres = url.toString();
    const tree = backupTree(home);
    fs.writeFileSync(stackFile, JSON.stringify(wrong));
    try {
      expectOneLineFailure(runCli(['backup', '--node', 'coordinator'], env), /^distrag backup: coordinator: pg_basebackup failed: .*password authentication failed/, true);
    } finally {
      fs.writeFileSync(stackFile, published);
    }
    expect(backupTree(home)).toEqual(tree);
  });

  it('a coordinator backup is restorable: its data directory starts on a spare port and holds the row written before it', async () => {
    const latest = listed(env, '--node', 'coordinator')[0]!;
    const config = loadConfig({ ...process.env, ...env });
    const { binDir } = findPostgresBinaries(config);
    const runAs = resolveServiceUser(config.DISTRAG_SERVICE_USER);
    // A copy, so that the backup itself stays as taken; reachable by the service user under root.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-restore-'));
    fs.chmodSync(scratch, 0o755);
    const dataDir = path.join(scratch, 'data');
    fs.cpSync(path.join(home, 'backups', 'coordinator', latest.id, 'data'), dataDir, { recursive: true });
    chownTree(dataDir, runAs);
    fs.chmodSync(dataDir, 0o700);
    // The private stack's port block leaves offsets 17-23 unused (PG_PORT is at +5; the backup and
    // recovery processes take +15 and +16).
    const port = config.DISTRAG_PG_PORT + 13;
    expect(await isPortFree(port, '127.0.0.1')).toBe(true);
    const server = spawn(
      path.join(binDir, 'postgres'),
      // Citus's background work (2PC recovery, deadlock detection) stays off: the live workers are not this copy's.
      ['-D', dataDir, '-c', `port=${port}`, '-c', 'listen_addresses=127.0.0.1', '-c', 'citus.recover_2pc_interval=-1', '-c', 'citus.distributed_deadlock_detection_factor=-1'],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) },
    );
    let log = '';
    server.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
    try {
      const url = new URL(info.urls.postgres);
      url.port = String(port);
      let rows: Array<{ note: string }> | null = null;
      for (let attempt = 0; attempt < 120 && rows === null; attempt++) {
        rows = await query<{ note: string }>(url.toString(), 'SELECT note FROM backup_test.marker').catch(() => null);
        if (rows === null) await new Promise((r) => setTimeout(r, 500));
      }
      expect(rows, log).toEqual([{ note: MARKER }]);
    } finally {
      server.kill('SIGINT');
      await exited;
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses to back up a stopped stack with one line, and still lists the backups', () => {
    const tree = backupTree(home);
    const records = listed(env);
    expect(runCli(['down'], env).code).toBe(0);
    expectOneLineFailure(runCli(['backup'], env), /^distrag backup: DistRAG is not running from .*; start it with `npx distrag up --detach` first$/);
    expect(backupTree(home)).toEqual(tree);
    expect(listed(env)).toEqual(records);
  });
});
