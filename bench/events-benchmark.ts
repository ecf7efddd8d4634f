import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { benchStackEnv } from './bench-stack-env.js';
import type { BenchmarkOptions } from './run-benchmark.js';
import { writeResults } from './write-results.js';

const COMMITS = 1000;
const TABLE = 'bench_events';

interface Received {
  tenant: string | null;
  /** Commit → subscriber, ms (the event carries the commit timestamp; same machine, same clock). */
  latencyMs: number;
}

interface LatencyRun {
  commits: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Commit → subscriber latency of `dataChanged` for single-row commits made through the API and by
 * plain SQL, then sustained commits/s from concurrent writers with every event accounted for.
 */
export async function eventsBenchmark(options: BenchmarkOptions): Promise<void> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: '0.1', DISTRAG_SCHEMA_POLL_MS: '5000' }), report: options.report });
  const admin = new pg.Pool({ connectionString: stack.info.urls.postgres, max: options.connections });
  const received: Received[] = [];
  let client: ReturnType<typeof createClient> | null = null;
  try {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const token = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'admin' });
    const writer = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'writer', tenant: '1' });
    await admin.query(`CREATE TABLE ${TABLE} (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))`);
    await waitUntilServed(stack.info.urls.graphql, token);

    client = createClient({ url: stack.info.urls.graphql.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    const subscribed = new Promise<void>((resolve) => setTimeout(resolve, 500));
    client.subscribe<{ dataChanged: { tenant: string | null; at: string } }>(
      { query: `subscription { dataChanged(tables: ["${TABLE}"]) { tenant at } }` },
      {
        next: ({ data }) => {
          if (data) received.push({ tenant: data.dataChanged.tenant, latencyMs: Date.now() - Date.parse(data.dataChanged.at) });
        },
        error: (error) => options.report(`subscription error: ${JSON.stringify(error)}`),
        complete: () => undefined,
      },
    );
    await subscribed;

    let id = 0;
    options.report(`${COMMITS} single-row commits through the API`);
    const api = await latencyRun(received, COMMITS, async () => {
      const response = await fetch(stack.info.urls.graphql, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
        body: JSON.stringify({ query: `mutation { insertBenchEvents(objects: [{ id: ${++id} }]) { affectedRows } }` }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(`mutation failed: ${JSON.stringify(body.errors)}`);
    });
    options.report(`${COMMITS} single-row commits by plain SQL`);
    const sql = await latencyRun(received, COMMITS, async () => {
      await admin.query(`INSERT INTO ${TABLE} VALUES (2, $1)`, [++id]);
    });

    options.report(`sustained: ${options.connections} writers for ${options.duration}s`);
    received.length = 0;
    let commits = 0;
    const end = Date.now() + options.duration * 1000;
    await Promise.all(
      Array.from({ length: options.connections }, async (_, worker) => {
        while (Date.now() < end) {
          await admin.query(`INSERT INTO ${TABLE} VALUES ($1, $2)`, [3 + (worker % 17), ++id]);
          commits += 1;
        }
      }),
    );
    const drainDeadline = Date.now() + 30_000;
    while (received.length < commits && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
    const sustained = { commits, commitsPerSecond: commits / options.duration, received: received.length, lost: Math.max(0, commits - received.length), ...percentiles(received.map((r) => r.latencyMs)) };

    const distribution = stack.info.mode === 'CITUS' ? await distributionLatency(admin, stack.info.urls.graphql, token, options.report) : null;

    const goal = (run: LatencyRun) => (run.p50 <= 20 && run.p99 <= 100 ? 'met' : 'not met');
    const files = writeResults(
      'events',
      stack.info.mode,
      {
        title: 'Change events: commit → subscriber (`npx distrag bench events`)',
        columns: ['writes', 'commits', 'events received', 'p50 ms', 'p99 ms', 'max ms'],
        keyColumns: 1,
        rows: [
          ['single-row, through the API (sequential)', api.commits, api.received, api.p50, api.p99, api.max],
          ['single-row, plain SQL (sequential)', sql.commits, sql.received, sql.p50, sql.p99, sql.max],
          [`sustained, ${options.connections} SQL writers`, sustained.commits, sustained.received, sustained.p50, sustained.p99, sustained.max],
          ...(distribution ? [[`create_distributed_table → served as distributed (${DISTRIBUTED_TABLES} tables)`, distribution.commits, distribution.received, distribution.p50, distribution.p99, distribution.max]] : []),
        ],
        notes: [
          `Goal ≤ 20 ms p50 and ≤ 100 ms p99: through the API ${goal(api)}, by plain SQL ${goal(sql)}. Sustained: ${sustained.commitsPerSecond.toFixed(0)} commits/s, events lost: ${sustained.lost}.`,
          ...(distribution ? [`A table distributed by create_distributed_table() is served as DISTRIBUTED within ${distribution.p99} ms p99 (goal ≤ 2 000 ms: ${distribution.p99 <= 2_000 ? 'met' : 'not met'}), with the catalog poll at its 5 s default: the change feed turned the workers' shard DDL into a schema change.`] : []),
        ],
        sharedNotes: [
          'Path: COMMIT on PostgreSQL → logical decoding (pgoutput slot per node; under Citus the coordinator and every worker) in the change feed → Redis Stream → the gateway\'s event hub → graphql-ws → the subscriber; latency measured from the commit timestamp the event carries to its arrival at the client (one machine, one clock; millisecond resolution).',
          `One subscriber (admin, \`dataChanged(tables: ["${TABLE}"])\`) on the gateway; each commit inserts one row, so each is one event. Under Citus ${TABLE} is a local table of the coordinator (created by DDL, not distributed). Demo data scale 0.1; the load, the feed, Redis, the gateway and every PostgreSQL node share this 2-core machine.`,
        ],
      },
      { api, sql, sustained, distribution, connections: options.connections, duration: options.duration },
    );
    options.report(`API p50 ${api.p50} ms p99 ${api.p99} ms; SQL p50 ${sql.p50} ms p99 ${sql.p99} ms; sustained ${sustained.commitsPerSecond.toFixed(0)} commits/s, ${sustained.lost} lost${distribution ? `; distributed table served p99 ${distribution.p99} ms` : ''}; wrote ${files.md}`);
  } finally {
    await client?.dispose();
    await admin.end();
    await stack.stop();
  }
}

const DISTRIBUTED_TABLES = 20;

/**
 * Citus only: how long after create_distributed_table() returns the API serves the table as
 * distributed (the data subgraph's dataCatalog says DISTRIBUTED), one table at a time.
 */
async function distributionLatency(admin: pg.Pool, url: string, token: string, report: (line: string) => void): Promise<LatencyRun> {
  report(`${DISTRIBUTED_TABLES} tables distributed one after another`);
  const latencies: number[] = [];
  for (let i = 0; i < DISTRIBUTED_TABLES; i++) {
    const table = `bench_distributed_${i}`;
    await admin.query(`CREATE TABLE ${table} (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))`);
    await waitFor(async () => (await catalogKind(url, token, table)) !== undefined, `${table} in the API`);
    const started = Date.now();
    await admin.query(`SELECT create_distributed_table($1, 'university_id', colocate_with => 'students')`, [table]);
    await waitFor(async () => (await catalogKind(url, token, table)) === 'DISTRIBUTED', `${table} served as distributed`);
    latencies.push(Date.now() - started);
    await admin.query(`DROP TABLE ${table}`);
  }
  return { commits: DISTRIBUTED_TABLES, received: latencies.length, ...percentiles(latencies) };
}

async function catalogKind(url: string, token: string, table: string): Promise<string | null | undefined> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ dataCatalog { tables { name citus } } }' }) });
  const body = (await response.json()) as { data?: { dataCatalog: { tables: Array<{ name: string; citus: string | null }> } } };
  return body.data?.dataCatalog.tables.find((t) => t.name === `public.${table}`)?.citus;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `commit` COMMITS times in a row and waits for their events. */
async function latencyRun(received: Received[], commits: number, commit: () => Promise<void>): Promise<LatencyRun> {
  received.length = 0;
  for (let i = 0; i < commits; i++) await commit();
  const deadline = Date.now() + 30_000;
  while (received.length < commits && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return { commits, received: received.length, ...percentiles(received.map((r) => r.latencyMs)) };
}

function percentiles(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
  return { p50: at(50), p99: at(99), max: sorted.at(-1) ?? 0 };
}

async function waitUntilServed(url: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ benchEvents(limit: 1) { id } }' }) });
    if (!((await response.json()) as { errors?: unknown }).errors) return;
    if (Date.now() > deadline) throw new Error(`${TABLE} did not appear in the API`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
