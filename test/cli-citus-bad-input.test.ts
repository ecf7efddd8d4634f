import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { privateStackEnv } from '../src/stack/private-stack.js';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { adminUrl } from '../src/stack/postgres-node.js';
import { readSecrets } from '../src/stack/secrets.js';
import { resolveServiceUser } from '../src/stack/service-user.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { citusSkipReason, onCitus } from './support/citus.js';
import { runCli } from './support/run-cli.js';

/**
 * `up` on a cluster it cannot run — workers that do not answer, Citus versions that differ
 * between nodes, a data directory made in the other mode: one line saying what is wrong and what
 * to do, exit 1, nothing left running.
 */

function expectRefused(result: { code: number | null; stderr: string }, env: Record<string, string>, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const last = result.stderr.trim().split('\n').at(-1)!;
  expect(last).toMatch(/^distrag up: /);
  expect(last).toMatch(pattern);
  expect(JSON.parse(runCli(['status', '--json'], env).stdout).processes).toEqual([]);
}

describe.skipIf(!onCitus())(`up refuses a Citus cluster it cannot run${citusSkipReason()}`, () => {
  let env: Record<string, string>;

  beforeAll(async () => {
    env = await privateStackEnv('distrag-citus-input', { DISTRAG_SEED_SCALE: '0.05' });
    const first = runCli(['up', '--detach', '--workers', '2'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/mode CITUS: coordinator :\d+, 2 workers \(worker-1 :\d+ healthy, worker-2 :\d+ healthy\)/);
    expect(runCli(['down'], env).code).toBe(0);
  }, 180_000);

  afterAll(() => {
    runCli(['down'], env);
    fs.rmSync(env.DISTRAG_HOME!, { recursive: true, force: true });
  });

  it('a worker the cluster knows that does not answer', () => {
    const result = runCli(['up', '--detach', '--workers', '1'], env);
    const secondWorker = Number(env.DISTRAG_WORKER_PORT_BASE) + 1;
    expectRefused(result, env, new RegExp(`worker 127\\.0\\.0\\.1:${secondWorker} does not answer; start it .*--workers N.*citus_remove_node`));
  });

  it('a worker whose Citus extension version differs from the coordinator', async () => {
    await withStoppedNode(env, 'worker-2', (client) => client.query(`UPDATE pg_extension SET extversion = '13.1-1' WHERE extname = 'citus'`));
    try {
      const result = runCli(['up', '--detach'], env);
      expectRefused(result, env, /the Citus extension differs between nodes \(coordinator [\d.-]+, worker-1 [\d.-]+, worker-2 13\.1-1\); install the same Citus/);
    } finally {
      await withStoppedNode(env, 'worker-2', (client) => client.query(`UPDATE pg_extension SET extversion = default_version FROM pg_available_extensions a WHERE a.name = 'citus' AND extname = 'citus'`));
    }
    const healed = runCli(['up', '--detach'], env);
    expect(healed.code, healed.stderr).toBe(0);
    expect(runCli(['down'], env).code).toBe(0);
  });

  it('a data directory made in the other mode', () => {
    expectRefused(runCli(['up', '--detach'], { ...env, DISTRAG_CITUS: 'off' }), env, /holds a CITUS cluster but this start would be SINGLE; set DISTRAG_CITUS=on or use another DISTRAG_HOME/);
  });

  it('a SINGLE data directory started where Citus is installed', async () => {
    const singleEnv = await privateStackEnv('distrag-single-input', { DISTRAG_SEED_SCALE: '0.05', DISTRAG_CITUS: 'off' });
    try {
      const first = runCli(['up', '--detach'], singleEnv);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/DistRAG is up \(mode SINGLE\)/);
      expect(runCli(['down'], singleEnv).code).toBe(0);
      const { DISTRAG_CITUS: _off, ...auto } = singleEnv;
      expectRefused(runCli(['up', '--detach'], auto), auto, /holds a SINGLE cluster but this start would be CITUS; set DISTRAG_CITUS=off/);
    } finally {
      runCli(['down'], singleEnv);
      fs.rmSync(singleEnv.DISTRAG_HOME!, { recursive: true, force: true });
    }
  }, 180_000);
});

/** Starts one node of a stopped stack on its own (pg_ctl, as the service user, not synchronous), runs `fn` as its admin, stops it. */
async function withStoppedNode(env: Record<string, string>, node: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const config = loadConfig({ ...process.env, ...env });
  const layout = stackLayout(config.home);
  const { binDir } = findPostgresBinaries(config);
  const runAs = resolveServiceUser(config.DISTRAG_SERVICE_USER);
  const pgCtl = (args: string[]) =>
    execFileSync(path.join(binDir, 'pg_ctl'), ['-D', layout.pgDir(node), '-w', '-l', path.join(layout.pgDir(node), 'by-hand.log'), ...args], {
      stdio: 'pipe',
      env: { ...process.env, LC_ALL: 'C' },
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    });
  // Alone, without the backup process: its commits must not wait for a WAL receiver (RPO 0).
  pgCtl(['start', '-o', '-c synchronous_standby_names=']);
  try {
    const port = node === 'coordinator' ? config.DISTRAG_PG_PORT : config.DISTRAG_WORKER_PORT_BASE + Number(node.split('-')[1]) - 1;
    const client = new pg.Client({ connectionString: adminUrl({ host: config.DISTRAG_HOST, port, password: readSecrets(layout.secretsFile, config).pgPassword }) });
    await client.connect();
    try {
      await fn(client);
    } finally {
      await client.end();
    }
  } finally {
    pgCtl(['stop', '-m', 'fast']);
  }
}
