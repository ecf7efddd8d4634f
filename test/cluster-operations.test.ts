import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import type { Role } from '../src/auth/identity.js';
import { signUserToken } from '../src/auth/user-token.js';
import type { BackupRecord } from '../src/backup/backup-record.js';
import { apiRoleUrls } from '../src/db/api-roles.js';
import { EventBus } from '../src/events/event-bus.js';
import { nodeUrl } from '../src/db/with-client.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { findPostgresBinaries } from '../src/stack/postgres-binaries.js';
import { preparePostgresNode } from '../src/stack/postgres-node.js';
import { ProcessManager } from '../src/stack/process-manager.js';
import { resolveServiceUser } from '../src/stack/service-user.js';
import { readSecrets, type StackSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { eventually } from './support/database.js';
import { graphql, type GraphqlResponse } from './support/graphql-client.js';
import { subscribe, type Subscription } from './support/subscriptions.js';

/**
 * The cluster subgraph's operations (CONTRACT §5 "Cluster subgraph", issue 12) through the
 * gateway, against real processes: a private CITUS stack of its own (nodes come and go), whose
 * cluster subgraph delegates to the operations API of its recovery process.
 */

interface ClusterEventData {
  clusterEvents: { kind: string; node: string | null; detail: string };
}
interface NodeData {
  name: string;
  host: string;
  port: number;
  role: string;
  status: string;
  shardCount: number;
  sizeBytes: number | null;
  lastBackup: { id: string } | null;
}
interface ClusterData {
  cluster: {
    mode: string;
    nodes: NodeData[];
    distributedTables: Array<{ name: string; distributionColumn: string | null; kind: string; colocationGroup: number; shardCount: number }>;
    rebalance: { state: string; progress: number; jobId: string | null; detail: string };
  };
}

const CLUSTER_QUERY = `{ cluster {
  mode
  nodes { name host port role status shardCount sizeBytes lastBackup { id } }
  distributedTables { name distributionColumn kind colocationGroup shardCount }
  rebalance { state progress jobId detail }
} }`;
const EVENTS = 'subscription ($after: ID) { clusterEvents(after: $after) { kind node detail } }';
const ASK_PASSWORD = 'an-ask-role-password-of-32-characters-or-more';

function errorOf(response: GraphqlResponse): { code: string | undefined; message: string } {
  const error = response.body.errors?.[0];
  return { code: error?.extensions?.code, message: error?.message ?? '(no error)' };
}

describe.runIf(inject('stack').info.mode === 'CITUS')('cluster operations (own CITUS stack)', () => {
  let stack: PrivateStack;
  let secrets: StackSecrets;
  let bus: EventBus;
  let manager: ProcessManager;
  const tokens = new Map<Role, string>();

  const adminUrl = () => stack.info.urls.postgres;
  const opsUrl = () => `http://127.0.0.1:${stack.config.DISTRAG_RECOVERY_PORT}`;
  const gql = (query: string, role: Role = 'admin', variables?: unknown) => graphql(query, { url: stack.info.urls.graphql, token: tokens.get(role)!, variables });
  const data = async <T>(query: string, variables?: unknown): Promise<T> => {
    const response = await gql(query, 'admin', variables);
    expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
    return response.body.data as T;
  };
  const cluster = async () => (await data<ClusterData>(CLUSTER_QUERY)).cluster;
  const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = [], url = adminUrl()): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const distNodes = () => sql<{ groupid: number; nodeport: number; shouldhaveshards: boolean }>('SELECT groupid, nodeport, shouldhaveshards FROM pg_dist_node ORDER BY groupid');
  /** Placements of distributed-table shards per group (reference tables left out, as shardCount counts). */
  const placements = async () =>
    Object.fromEntries(
      (await sql<{ groupid: number; n: number }>(
        `SELECT pl.groupid, count(*)::int AS n FROM pg_dist_placement pl JOIN pg_dist_shard s USING (shardid) JOIN pg_dist_partition p USING (logicalrelid) WHERE p.repmodel <> 't' GROUP BY 1 ORDER BY 1`,
      )).map((r) => [r.groupid, r.n]),
    ) as Record<number, number>;
  const events = async (): Promise<Subscription<ClusterEventData>> =>
    subscribe<ClusterEventData>(EVENTS, { url: stack.info.urls.graphql, token: tokens.get('admin')!, variables: { after: await bus.lastId('cluster') } });
  const opsCall = async (path: string, init: { method?: string; identity?: Role | null; body?: unknown } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.identity !== null) headers['x-distrag-identity'] = signForwardedIdentity(secrets.internalSecret, { sub: 'test', role: init.identity ?? 'admin', tenant: init.identity === 'admin' || init.identity === undefined ? null : '1' }).value;
    const response = await fetch(`${opsUrl()}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
  };
  /**
   * Stops a process of the stack the way a crash would (immediate shutdown for PostgreSQL: a fast
   * one waits for the change feed's walsender). The record stays, marked as stopping, so the
   * recovery watchdog leaves it alone until `start` brings it back.
   */
  const stopProcess = async (name: string) => {
    const target = manager.list().find((p) => p.name === name)!;
    await manager.stop({ ...target, stopSignal: target.name.startsWith('postgres-') ? 'SIGQUIT' : target.stopSignal }, true);
    return () => manager.start(target.spec!);
  };

  beforeAll(async () => {
    // The defaults: synchronous WAL streaming (RPO 0) included.
    stack = await startPrivateStack({ prefix: 'distrag-cluster-ops', workers: 2, env: { DISTRAG_SEED_SCALE: '0.1' } });
    expect(stack.info.mode).toBe('CITUS');
    const layout = stackLayout(stack.config.home);
    manager = new ProcessManager(layout.processesFile, layout.logDir);
    secrets = readSecrets(layout.secretsFile, stack.config);
    for (const role of ['reader', 'writer', 'admin'] as const) tokens.set(role, await signUserToken(secrets.jwtSecret, { sub: `test-${role}`, role, tenant: role === 'admin' ? null : '1' }));
    bus = new EventBus({ url: stack.info.urls.redis, maxLen: 10_000, log: pino({ level: 'silent' }) });
  });

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  });

  it('shows the cluster: nodes measured UP with their shards and sizes, the distributed tables, no rebalance yet', async () => {
    const view = await cluster();
    expect(view.mode).toBe('CITUS');
    expect(view.nodes.map((n) => [n.name, n.role, n.status])).toEqual([['coordinator', 'COORDINATOR', 'UP'], ['worker-1', 'WORKER', 'UP'], ['worker-2', 'WORKER', 'UP']]);
    expect(view.nodes.map((n) => n.port)).toEqual(stack.info.nodes.map((n) => n.port));
    const shards = await placements();
    expect(view.nodes.map((n) => n.shardCount)).toEqual([shards[0] ?? 0, shards[1], shards[2]]);
    // 4 co-located tenant tables of 32 shards, all on the workers.
    expect(view.nodes[1]!.shardCount + view.nodes[2]!.shardCount).toBe(128);
    for (const node of view.nodes) expect(node.sizeBytes, node.name).toBeGreaterThan(1_000_000);
    const tables = Object.fromEntries(view.distributedTables.map((t) => [t.name, t]));
    expect(tables['public.students']).toMatchObject({ distributionColumn: 'university_id', kind: 'DISTRIBUTED', shardCount: 32 });
    expect(tables['public.universities']).toMatchObject({ distributionColumn: null, kind: 'REFERENCE', shardCount: 1 });
    expect(new Set(['departments', 'students', 'courses', 'enrollments'].map((t) => tables[`public.${t}`]?.colocationGroup)).size).toBe(1);
    expect(view.rebalance).toEqual({ state: 'IDLE', progress: 0, jobId: null, detail: 'no rebalance has run' });
  });

  it('is for admins only: FORBIDDEN to readers and writers, and the operations API refuses unsigned or non-admin calls', async () => {
    for (const role of ['reader', 'writer'] as const) {
      expect(errorOf(await gql('{ cluster { mode } }', role)).code, role).toBe('FORBIDDEN');
      expect(errorOf(await gql('{ backups { id } }', role)).code, role).toBe('FORBIDDEN');
      expect(errorOf(await gql('mutation { addNode(host: "127.0.0.1", port: 1) { name } }', role)).code, role).toBe('FORBIDDEN');
      expect(errorOf(await gql('mutation { rebalance { state } }', role)).code, role).toBe('FORBIDDEN');
      expect(errorOf(await gql('mutation { removeNode(name: "worker-1") { name } }', role)).code, role).toBe('FORBIDDEN');
    }
    expect(await opsCall('/ops/rebalance', { identity: null })).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    expect(await opsCall('/ops/rebalance', { identity: 'writer' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await opsCall('/ops/nowhere')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await opsCall('/ops/rebalance', { method: 'DELETE' })).toMatchObject({ status: 405, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect(await opsCall('/ops/nodes', { method: 'POST', body: { host: '127.0.0.1', port: 70_000 } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect(await opsCall('/ops/nodes', { method: 'POST', body: { host: 'x; DROP TABLE students', port: 5432 } })).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
  });

  it('refuses addNode of an address nothing answers on, before anything changes', async () => {
    const before = await distNodes();
    const free = stack.config.DISTRAG_WORKER_PORT_BASE + 3;
    const response = await gql(`mutation { addNode(host: "127.0.0.1", port: ${free}) { name } }`);
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${free}.*connection refused.*nothing was changed`)) });
    expect(await distNodes()).toEqual(before);
    // Without host and port and without start, nothing to add.
    expect(errorOf(await gql('mutation { addNode { name } }')).code).toBe('BAD_USER_INPUT');
    // A node of the cluster already.
    expect(errorOf(await gql(`mutation { addNode(host: "127.0.0.1", port: ${stack.info.nodes[1]!.port}) { name } }`))).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('in the cluster already, as worker-1') });
    expect(await distNodes()).toEqual(before);
  });

  it('refuses addNode of a node whose writes would wait for a synchronous standby that is not there, before anything changes', async () => {
    const layout = stackLayout(stack.config.home);
    const port = stack.config.DISTRAG_WORKER_PORT_BASE + 3;
    const spare = await manager.start(preparePostgresNode({
      name: 'postgres-spare', dataDir: layout.pgDir('spare'), host: '127.0.0.1', port, password: secrets.pgPassword, citus: true, walSync: true,
      binaries: findPostgresBinaries(stack.config), runAs: resolveServiceUser(stack.config.DISTRAG_SERVICE_USER), passFile: layout.passFile,
    }));
    try {
      const before = await distNodes();
      const response = await gql(`mutation { addNode(host: "127.0.0.1", port: ${port}) { name } }`);
      expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/waits for a synchronous standby .* none is connected.*nothing was changed/) });
      expect(await distNodes()).toEqual(before);
      // Nothing was written there either: no database was made.
      const databases = await sql<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname = 'distrag'`, [], nodeUrl(adminUrl(), { host: '127.0.0.1', port }, 'postgres'));
      expect(databases).toEqual([]);
    } finally {
      await manager.stop({ ...spare, stopSignal: 'SIGQUIT' });
    }
  });

  it('adds a new local worker: UP, its change-feed slot in place, the nodes\' passwords copied, NODE_ADDED published', async () => {
    // A tenant's ask role made before the node joins: its password must reach the new node too.
    await sql(`SELECT distrag_meta.ensure_ask_role('7', $1)`, [ASK_PASSWORD]);
    const sub = await events();
    try {
      const { addNode } = await data<{ addNode: NodeData }>('mutation { addNode(start: true) { name host port role status shardCount sizeBytes } }');
      expect(addNode).toMatchObject({ name: 'worker-3', host: '127.0.0.1', role: 'WORKER', status: 'UP', shardCount: 0 });
      expect(addNode.sizeBytes).toBeGreaterThan(1_000_000);
      await sub.waitFor((e) => e.clusterEvents.kind === 'NODE_ADDED' && e.clusterEvents.node === 'worker-3');
      const view = await cluster();
      expect(view.nodes.find((n) => n.name === 'worker-3')).toMatchObject({ port: addNode.port, status: 'UP', shardCount: 0 });
      const worker3 = nodeUrl(adminUrl(), addNode, 'distrag');
      const slots = await sql<{ slot_name: string; plugin: string }>(`SELECT slot_name, plugin FROM pg_replication_slots WHERE slot_name LIKE 'distrag_feed_%'`, [], worker3);
      expect(slots).toEqual([{ slot_name: 'distrag_feed_worker_3', plugin: 'pgoutput' }]);
      const authinfo = `SELECT nodeid, rolename, authinfo FROM pg_dist_authinfo ORDER BY rolename, nodeid`;
      const copied = await sql(authinfo, [], worker3);
      expect(copied).toEqual(await sql(authinfo));
      expect(copied.map((r) => r.rolename)).toEqual(expect.arrayContaining(['distrag_reader', 'distrag_operator', 'distrag_t_7']));
      // RPO 0 for the new node too: once the backup process streams its WAL, its commits wait for it.
      const deadline = Date.now() + 30_000;
      let replication: Array<{ sync_state: string }> = [];
      while (Date.now() < deadline) {
        replication = await sql<{ sync_state: string }>(`SELECT sync_state FROM pg_stat_replication WHERE application_name = 'distrag_wal'`, [], worker3);
        if (replication[0]?.sync_state === 'sync') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(replication.map((r) => r.sync_state)).toEqual(['sync']);
    } finally {
      await sub.close();
    }
  });

  it('refuses removeNode of a node that holds shards, changing nothing', async () => {
    const before = [await distNodes(), await placements()];
    expect(before[1]).toMatchObject({ 1: expect.any(Number) });
    const response = await gql('mutation { removeNode(name: "worker-1") { name } }');
    expect(errorOf(response)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/worker-1 still holds \d+ shard placements; drain it first with drainNode/) });
    expect([await distNodes(), await placements()]).toEqual(before);
    expect(errorOf(await gql('mutation { removeNode(name: "coordinator") { name } }')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await gql('mutation { drainNode(name: "coordinator") { state } }')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await gql('mutation { drainNode(name: "worker-9") { state } }'))).toEqual({ code: 'NOT_FOUND', message: expect.stringContaining('coordinator, worker-1, worker-2, worker-3') });
    expect([await distNodes(), await placements()]).toEqual(before);
  });

  it('rebalances onto the new worker in the background, with progress on clusterEvents, one rebalance at a time', async () => {
    const sub = await events();
    try {
      const { rebalance } = await data<{ rebalance: { state: string; jobId: string; progress: number } }>('mutation { rebalance { state jobId progress } }');
      expect(['SCHEDULED', 'RUNNING']).toContain(rebalance.state);
      expect(rebalance.jobId).toMatch(/^\d+$/);
      const second = await gql('mutation { rebalance { state } }');
      expect(errorOf(second)).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining(`a rebalance is running already (job ${rebalance.jobId}`) });
      await sub.waitFor((e) => e.clusterEvents.kind === 'REBALANCE_STARTED', 30_000);
      const progress = await sub.waitFor((e) => e.clusterEvents.kind === 'REBALANCE_PROGRESS', 60_000);
      expect(progress.clusterEvents.detail).toMatch(/^rebalance: \d+\/\d+ tasks done$/);
      const running = await cluster();
      expect(['SCHEDULED', 'RUNNING', 'FINISHED']).toContain(running.rebalance.state);
      await sub.waitFor((e) => e.clusterEvents.kind === 'REBALANCE_COMPLETED', 180_000);
      expect(sub.received.some((e) => e.clusterEvents.kind === 'REBALANCE_FAILED')).toBe(false);
    } finally {
      await sub.close();
    }
    const view = await cluster();
    expect(view.rebalance).toMatchObject({ state: 'FINISHED', progress: 1 });
    const shards = await placements();
    // Spread over the three workers: each holds about a third of the 128.
    expect([shards[1], shards[2], shards[3]].every((n) => n !== undefined && n >= 32)).toBe(true);
    expect(view.nodes.find((n) => n.name === 'worker-3')!.shardCount).toBe(shards[3]);
  }, 240_000);

  it('serves the new worker like the others: an API role queries through it, and its changes reach dataChanged', async () => {
    const [worker3] = (await cluster()).nodes.filter((n) => n.name === 'worker-3');
    // A query sent to the new worker (Citus MX) reaches the other workers as the API role: it
    // needs the passwords copied into the node's pg_dist_authinfo.
    const operatorOnWorker3 = nodeUrl(apiRoleUrls(adminUrl()).admin, worker3!, 'distrag');
    const [onWorker] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM students', [], operatorOnWorker3);
    const [onCoordinator] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM students');
    expect(onWorker!.n).toBe(onCoordinator!.n);
    const [tenant] = await sql<{ university_id: number }>(
      `SELECT u.university_id FROM universities u JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('students', u.university_id) WHERE p.groupid = 3 LIMIT 1`,
    );
    expect(tenant).toBeDefined();
    const sub = await subscribe<{ dataChanged: { table: string; tenant: string | null; node: string } }>('subscription ($after: ID) { dataChanged(tables: ["departments"], after: $after) { table tenant node } }', {
      url: stack.info.urls.graphql,
      token: tokens.get('admin')!,
      variables: { after: await bus.lastId('data') },
    });
    try {
      await sql('UPDATE departments SET name = name WHERE university_id = $1', [tenant!.university_id]);
      await sub.waitFor((e) => e.dataChanged.tenant === String(tenant!.university_id) && e.dataChanged.node === 'worker-3', 30_000);
    } finally {
      await sub.close();
    }
  });

  it('drains the new worker in the background (NODE_DRAINED), then removes it (NODE_REMOVED)', async () => {
    const sub = await events();
    try {
      const { drainNode } = await data<{ drainNode: { state: string; jobId: string } }>('mutation { drainNode(name: "postgres-worker-3") { state jobId } }');
      expect(['SCHEDULED', 'RUNNING']).toContain(drainNode.state);
      // Nothing else while it runs.
      expect(errorOf(await gql('mutation { removeNode(name: "worker-3") { name } }')).code).toBe('BAD_USER_INPUT');
      await sub.waitFor((e) => e.clusterEvents.kind === 'REBALANCE_PROGRESS' && e.clusterEvents.node === 'worker-3', 60_000);
      await sub.waitFor((e) => e.clusterEvents.kind === 'NODE_DRAINED' && e.clusterEvents.node === 'worker-3', 180_000);
      expect((await placements())[3]).toBeUndefined();
      expect((await cluster()).nodes.find((n) => n.name === 'worker-3')!.shardCount).toBe(0);

      const { removeNode } = await data<{ removeNode: NodeData }>('mutation { removeNode(name: "worker-3") { name port role shardCount } }');
      expect(removeNode).toMatchObject({ name: 'worker-3', role: 'WORKER', shardCount: 0 });
      await sub.waitFor((e) => e.clusterEvents.kind === 'NODE_REMOVED' && e.clusterEvents.node === 'worker-3');
      expect((await cluster()).nodes.map((n) => n.name)).toEqual(['coordinator', 'worker-1', 'worker-2']);
      expect((await distNodes()).map((n) => n.groupid)).toEqual([0, 1, 2]);
      expect(errorOf(await gql('mutation { removeNode(name: "worker-3") { name } }')).code).toBe('NOT_FOUND');
    } finally {
      await sub.close();
    }
  }, 240_000);

  it('takes a backup through createBackup, lists it in backups and as the node\'s lastBackup, and checks restores before running them', async () => {
    const { createBackup } = await data<{ createBackup: BackupRecord }>('mutation { createBackup(node: "worker-1") { id node startedAt finishedAt sizeBytes walStart walEnd verified } }');
    expect(createBackup).toMatchObject({ node: 'worker-1', verified: true, id: expect.stringMatching(/^\d{8}T\d{9}Z$/) });
    expect(createBackup.sizeBytes).toBeGreaterThan(1_000_000);
    // The backup process may have taken the node's first backup meanwhile: the new one is the newest.
    const { backups } = await data<{ backups: Array<{ id: string; node: string }> }>('{ backups(node: "postgres-worker-1") { id node } }');
    expect(backups[0]).toEqual({ id: createBackup.id, node: 'worker-1' });
    expect(backups.every((b) => b.node === 'worker-1')).toBe(true);
    const view = await cluster();
    expect(view.nodes.find((n) => n.name === 'worker-1')!.lastBackup).toEqual({ id: createBackup.id });
    expect(errorOf(await gql('mutation { createBackup(node: "worker-9") { id } }')).code).toBe('NOT_FOUND');
    expect(errorOf(await gql('mutation { restoreNode(node: "worker-1", backupId: "20000101T000000000Z") { node } }')).code).toBe('NOT_FOUND');
    expect(errorOf(await gql('mutation { restoreNode(node: "worker-1", targetTime: "2999-01-01T00:00:00Z") { node } }'))).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('in the future') });
    expect(errorOf(await gql('mutation { restoreNode(node: "worker-1", targetTime: "yesterday") { node } }')).code).toBe('BAD_USER_INPUT');
    expect(errorOf(await gql(`mutation { restoreNode(node: "worker-1", backupId: "${createBackup.id}", targetTime: "2000-01-01T00:00:00Z") { node } }`))).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('after targetTime') });
  });

  it('measures health: a worker that stops answering is DOWN (size unknown), and UP again once back', async () => {
    const restart = await stopProcess('postgres-worker-2');
    try {
      const down = (await cluster()).nodes.find((n) => n.name === 'worker-2')!;
      expect(down).toMatchObject({ status: 'DOWN', sizeBytes: null });
      expect((await cluster()).nodes.filter((n) => n.name !== 'worker-2').every((n) => n.status === 'UP')).toBe(true);
    } finally {
      await restart();
    }
    await eventually(async () => (await cluster()).nodes.every((n) => n.status === 'UP'), 30_000, 'worker-2 UP again');
  });

  it('measures health without the coordinator: it is DOWN, the workers are probed one by one', async () => {
    const restart = await stopProcess('postgres-coordinator');
    try {
      const view = await cluster();
      expect(view.nodes.map((n) => [n.name, n.status])).toEqual([['coordinator', 'DOWN'], ['worker-1', 'UP'], ['worker-2', 'UP']]);
      expect(view.nodes[0]!.sizeBytes).toBeNull();
      expect(view.nodes[1]!.sizeBytes).toBeGreaterThan(1_000_000);
    } finally {
      await restart();
    }
    await eventually(async () => (await cluster()).nodes.every((n) => n.status === 'UP'), 30_000, 'the coordinator UP again');
  });

  it('answers the cluster without the operations API (lastBackup null), and its mutations CLUSTER_UNAVAILABLE', async () => {
    const restart = await stopProcess('recovery');
    try {
      const view = await cluster();
      expect(view.nodes.every((n) => n.lastBackup === null && n.status === 'UP')).toBe(true);
      expect(errorOf(await gql('mutation { rebalance { state } }')).code).toBe('CLUSTER_UNAVAILABLE');
      expect(errorOf(await gql('{ backups { id } }')).code).toBe('CLUSTER_UNAVAILABLE');
    } finally {
      await restart();
    }
    expect((await cluster()).nodes.find((n) => n.name === 'worker-1')!.lastBackup).not.toBeNull();
  });
});

describe.runIf(inject('stack').info.mode === 'SINGLE')('cluster operations in SINGLE mode (shared stack)', () => {
  const admin = async () => signUserToken(inject('stack').jwtSecret, { sub: 'test-admin', role: 'admin', tenant: null });

  it('refuses the Citus-only mutations with BAD_USER_INPUT', async () => {
    const token = await admin();
    for (const mutation of ['addNode(host: "127.0.0.1", port: 5432) { name }', 'drainNode(name: "worker-1") { state }', 'removeNode(name: "worker-1") { name }', 'rebalance { state }']) {
      const response = await graphql(`mutation { ${mutation} }`, { token });
      expect(errorOf(response), mutation).toEqual({ code: 'BAD_USER_INPUT', message: expect.stringContaining('runs in SINGLE mode') });
    }
  });

  it('shows the one node UP, measured, with its database size', async () => {
    const response = await graphql('{ cluster { mode nodes { name role status shardCount sizeBytes } distributedTables { name } rebalance { state progress } } }', { token: await admin() });
    expect(response.body.errors).toBeUndefined();
    const view = (response.body.data as { cluster: { mode: string; nodes: Array<{ status: string; sizeBytes: number }>; distributedTables: unknown[]; rebalance: unknown } }).cluster;
    expect(view.mode).toBe('SINGLE');
    expect(view.nodes).toEqual([{ name: 'coordinator', role: 'COORDINATOR', status: 'UP', shardCount: 0, sizeBytes: expect.any(Number) }]);
    expect(view.nodes[0]!.sizeBytes).toBeGreaterThan(1_000_000);
    expect(view.distributedTables).toEqual([]);
    expect(view.rebalance).toEqual({ state: 'IDLE', progress: 0 });
  });
});
