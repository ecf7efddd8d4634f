import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcknowledgedWriter, createDrillTable } from '../bench/acknowledged-writer.js';
import { signUserToken } from '../src/auth/user-token.js';
import { listBackupRecords } from '../src/backup/backup-record.js';
import { nodeBackupPaths } from '../src/backup/backup-daemon.js';
import { listWalSegments, segnoOf } from '../src/backup/wal-segments.js';
import { EventBus } from '../src/events/event-bus.js';
import { nodeUrl } from '../src/db/with-client.js';
import type { ClusterNotice } from '../src/events/event-types.js';
import { checkHealth } from '../src/stack/health-check.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { managerFor } from '../src/stack/stack-control.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';

/**
 * Issue 12's fault drills on a stack of their own, under a steady write load that remembers every
 * acknowledged commit: kill -9 of each database node and of each other service, loss of a node's
 * data directory, a damaged WAL segment. Zero acknowledged commits may be lost (RPO 0: the
 * default synchronous WAL streaming), and everything must come back without a hand.
 */
describe('recovery: faults under write load, zero acknowledged commits lost', () => {
  let stack: PrivateStack;
  let bus: EventBus;
  let adminUrl: string;
  let writer: AcknowledgedWriter;
  const backupRoot = () => path.join(stack.config.home, 'backups');

  const processes = () => managerFor(stack.config).list();
  const pidOf = (name: string) => {
    const found = processes().find((p) => p.name === name);
    if (!found) throw new Error(`no process ${name}; have ${processes().map((p) => p.name).join(', ')}`);
    return found.pid;
  };
  const kill9 = (name: string) => {
    const pid = pidOf(name);
    process.kill(pid, 'SIGKILL');
    return pid;
  };
  const nodeNames = () => stack.info.nodes.map((n) => n.name);
  const workers = () => stack.info.nodes.filter((n) => n.role === 'worker').map((n) => n.name);

  /** Cluster notices published after `after`, until one matches (or the timeout). */
  async function waitForNotice(after: string, match: (notice: ClusterNotice) => boolean, timeoutMs = 90_000): Promise<ClusterNotice[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = (await bus.replay('cluster', after).catch(() => [])).map((d) => d.event).filter((e): e is ClusterNotice => e.type === 'cluster');
      if (seen.some(match)) return seen;
      if (Date.now() > deadline) throw new Error(`no matching cluster notice within ${timeoutMs} ms; saw ${JSON.stringify(seen.map((e) => `${e.kind} ${e.node}`))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Kills a service with SIGKILL while the writer runs, waits for the watchdog to bring it back, then checks every acknowledged commit. */
  async function drill(fault: () => void, recovered: (notice: ClusterNotice) => boolean) {
    const mark = await bus.lastId('cluster');
    await writer.waitForAcks(50, 30_000);
    fault();
    const notices = await waitForNotice(mark, recovered);
    await writer.waitForAcks(200, 60_000);
    expect(await writer.missing(adminUrl)).toEqual([]);
    return notices;
  }

  beforeAll(async () => {
    stack = await startPrivateStack({
      prefix: 'distrag-faults',
      workers: 2,
      env: {
        DISTRAG_SEED_SCALE: '0.1',
        DISTRAG_RECOVERY_CHECK_MS: '300',
        DISTRAG_RECOVERY_FAILURES: '2',
        // The product's defaults, which private stacks otherwise relax: ready only with a
        // verified, restore-tested backup of every node.
        DISTRAG_READY_NEEDS_BACKUP: 'true',
        DISTRAG_BACKUP_RESTORE_TEST: 'true',
      },
    });
    adminUrl = stack.info.urls.postgres;
    bus = new EventBus({ url: stack.info.urls.redis, maxLen: 10_000, log: pino({ level: 'silent' }) });
    await createDrillTable(adminUrl);
    writer = new AcknowledgedWriter(adminUrl, 4);
    writer.start();
  }, 400_000);

  afterAll(async () => {
    await writer?.stop().catch(() => undefined);
    await bus?.close();
    await stack?.stop();
  }, 120_000);

  it('once up is ready, every node has a verified, restore-tested base backup and streams its WAL synchronously', async () => {
    for (const node of nodeNames()) {
      const records = listBackupRecords(nodeBackupPaths(backupRoot(), node).dir);
      expect(records.length, node).toBeGreaterThanOrEqual(1);
      expect(records[0]!.verified).toBe(true);
      const client = new pg.Client({ connectionString: adminUrlOf(node) });
      await client.connect();
      try {
        const { rows } = await client.query<{ sync_state: string }>(`SELECT sync_state FROM pg_stat_replication WHERE application_name = 'distrag_wal'`);
        expect(rows.map((r) => r.sync_state)).toEqual(['sync']);
      } finally {
        await client.end();
      }
    }
    const notices = await waitForNotice('0-0', (n) => n.kind === 'BACKUP_COMPLETED', 10_000);
    expect(new Set(notices.filter((n) => n.kind === 'BACKUP_COMPLETED').map((n) => n.node))).toEqual(new Set(nodeNames()));
    expect(notices.find((n) => n.kind === 'BACKUP_COMPLETED')!.detail).toMatch(/verified and restore-tested/);
  });

  it('kill -9 of each worker: restarted in place, no acknowledged commit lost', async (context) => {
    if (workers().length === 0) context.skip();
    for (const node of workers()) {
      const notices = await drill(() => kill9(`postgres-${node}`), (n) => n.kind === 'NODE_RECOVERED' && n.node === node);
      expect(notices.map((n) => `${n.kind} ${n.node}`)).toEqual(expect.arrayContaining([`NODE_DOWN ${node}`, `NODE_RECOVERED ${node}`]));
      expect(notices.find((n) => n.kind === 'NODE_RECOVERED')!.detail).toMatch(/restarted in place/);
    }
  }, 240_000);

  it('kill -9 of the coordinator: restarted in place, no acknowledged commit lost', async () => {
    await drill(() => kill9('postgres-coordinator'), (n) => n.kind === 'NODE_RECOVERED' && n.node === 'coordinator');
  }, 180_000);

  it('a worker\'s data directory deleted: restored from its backup plus the streamed WAL, no acknowledged commit lost', async (context) => {
    if (workers().length === 0) context.skip();
    const node = workers()[0]!;
    const dataDir = stackLayout(stack.config.home).pgDir(node);
    const notices = await drill(() => {
      kill9(`postgres-${node}`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, (n) => n.kind === 'NODE_RECOVERED' && n.node === node);
    expect(notices.find((n) => n.kind === 'NODE_RECOVERED' && n.node === node)!.detail).toMatch(/restored .* from backup \d{8}T\d{9}Z plus its WAL/);
  }, 240_000);

  it('the coordinator\'s data directory deleted: restored, no acknowledged commit lost, the API serves again', async () => {
    const dataDir = stackLayout(stack.config.home).pgDir('coordinator');
    await drill(() => {
      kill9('postgres-coordinator');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, (n) => n.kind === 'NODE_RECOVERED' && n.node === 'coordinator');
    await expectGraphqlServes();
  }, 240_000);

  it('kill -9 of Redis, Chroma, the change feed, a subgraph and the gateway: each back without a hand', async () => {
    for (const name of ['redis', 'chroma', 'change-feed', 'subgraph-data', 'gateway']) {
      const before = pidOf(name);
      const mark = await bus.lastId('cluster').catch(() => '0-0');
      kill9(name);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const record = processes().find((p) => p.name === name);
        if (record && record.pid !== before && (await checkHealth(record.health, 2_000))) break;
        if (Date.now() > deadline) throw new Error(`${name} was not back within 90 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
      await waitForNotice(mark, (n) => n.kind === 'SERVICE_RECOVERED' && n.node === name, 30_000);
    }
    await expectGraphqlServes();
    await writer.waitForAcks(100, 30_000);
    expect(await writer.missing(adminUrl)).toEqual([]);
  }, 300_000);

  it('restoreNode to a point in time: what was committed before it is back, what came after is not; a target before the oldest backup changes nothing', async () => {
    // The drills are over: a restore to a past time discards later commits on purpose.
    const summary = await writer.stop();
    expect(summary.acknowledged).toBeGreaterThan(1000);
    expect(await writer.missing(adminUrl)).toEqual([]);
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    let target: string;
    try {
      await client.query(`CREATE TABLE distrag_drill.pitr (note text)`);
      await client.query(`INSERT INTO distrag_drill.pitr VALUES ('before')`);
      await new Promise((r) => setTimeout(r, 1_000));
      target = (await client.query<{ at: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`)).rows[0]!.at;
      await new Promise((r) => setTimeout(r, 1_000));
      await client.query(`INSERT INTO distrag_drill.pitr VALUES ('after')`);
    } finally {
      await client.end();
    }
    const before = await graphql('mutation($t: String) { restoreNode(node: "coordinator", targetTime: $t) { backupId } }', { t: '2001-01-01T00:00:00Z' });
    expect(before.errors?.[0]?.message).toMatch(/before/);
    expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(before.errors?.[0]?.extensions?.code);

    const mark = await bus.lastId('cluster');
    const restored = await graphql('mutation($t: String) { restoreNode(node: "coordinator", targetTime: $t) { node backupId targetTime restoredAt } }', { t: target });
    expect(restored.errors).toBeUndefined();
    expect(restored.data?.restoreNode).toMatchObject({ node: 'coordinator', targetTime: new Date(target).toISOString() });
    await waitForNotice(mark, (n) => n.kind === 'NODE_RECOVERED' && n.node === 'coordinator');
    const after = new pg.Client({ connectionString: adminUrl });
    await after.connect();
    try {
      expect((await after.query<{ note: string }>(`SELECT note FROM distrag_drill.pitr`)).rows.map((r) => r.note)).toEqual(['before']);
      expect((await after.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering')).rows[0]!.recovering).toBe(false);
    } finally {
      await after.end();
    }
    // A new timeline: a fresh base backup is taken at once, and the API serves again.
    const deadline = Date.now() + 120_000;
    while (listBackupRecords(nodeBackupPaths(backupRoot(), 'coordinator').dir).length === 0) {
      if (Date.now() > deadline) throw new Error('no base backup of the coordinator after the point-in-time restore');
      await new Promise((r) => setTimeout(r, 250));
    }
    await expectGraphqlServes();
  }, 300_000);

  it('a damaged WAL segment: verification fails loudly and the watchdog does not restore from it', async () => {
    const node = workers()[workers().length - 1] ?? 'coordinator';
    const url = adminUrlOf(node);
    const paths = nodeBackupPaths(backupRoot(), node);
    const backup = listBackupRecords(paths.dir)[0];
    if (!backup) throw new Error(`${node} has no backup`);
    // Complete segments after the backup, holding records: write, switch, twice.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (let i = 0; i < 2; i++) {
        await client.query(`CREATE TABLE IF NOT EXISTS distrag_drill_wal_filler (n int); INSERT INTO distrag_drill_wal_filler SELECT generate_series(1, 2000)`);
        await client.query('SELECT pg_switch_wal()');
      }
    } finally {
      await client.end();
    }
    let damaged: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!damaged) {
      damaged = listWalSegments(paths.walDir).find((s) => !s.partial && s.segno > segnoOf(backup.walEnd))?.file;
      if (Date.now() > deadline) throw new Error('no complete WAL segment after the backup was received');
      await new Promise((r) => setTimeout(r, 200));
    }
    const file = path.join(paths.walDir, damaged);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(256, 0xab), 0, 256, 64);
    fs.closeSync(fd);

    const mark = await bus.lastId('cluster');
    kill9(`postgres-${node}`);
    const dataDir = stackLayout(stack.config.home).pgDir(node);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const notices = await waitForNotice(mark, (n) => n.kind === 'NODE_RECOVERY_FAILED' && n.node === node);
    expect(notices.find((n) => n.kind === 'NODE_RECOVERY_FAILED')!.detail).toMatch(/damaged/);
    expect(notices.some((n) => n.kind === 'NODE_RECOVERED' && n.node === node)).toBe(false);
    // Nothing was restored from it, and the watchdog does not try again on its own.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(fs.readdirSync(path.dirname(dataDir)).filter((n) => n.startsWith(`${node}.restore-`))).toEqual([]);
  }, 180_000);

  function adminUrlOf(name: string): string {
    return nodeUrl(stack.info.urls.postgres, stack.info.nodes.find((n) => n.name === name)!);
  }

  async function adminToken(): Promise<string> {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    return signUserToken(secrets.jwtSecret, { sub: 'faults', role: 'admin' }, 600, {});
  }

  async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
    const response = await fetch(stack.info.urls.graphql, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminToken()}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  }

  async function expectGraphqlServes(): Promise<void> {
    const token = await adminToken();
    const deadline = Date.now() + 60_000;
    let last = '';
    for (;;) {
      const response = await fetch(stack.info.urls.graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ universities { universityId } }' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { data?: { universities?: unknown[] }; errors?: unknown } }), (e: Error) => ({ status: 0, body: { errors: e.message } as { data?: { universities?: unknown[] }; errors?: unknown } }));
      if (response.status === 200 && Array.isArray(response.body.data?.universities)) return;
      last = JSON.stringify(response.body).slice(0, 300);
      if (Date.now() > deadline) throw new Error(`the API did not serve again within 60 s: ${last}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
});
