import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import type { BenchOutcome } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import type { BenchmarkOptions } from './run-benchmark.js';

/** Sequential single-row commits per path and run. */
const COMMITS = 1000;
const SEED_SCALE = 0.1;
/** The catalog poll, a safety net only: the events alone must make a distributed table known. */
const SCHEMA_POLL_MS = 5000;
/** Each phase writes other tenants' rows, so that late events of one are not counted in the next. */
const API_TENANT = '1';
const SQL_TENANT = '2';
const SUSTAINED_TENANTS = Array.from({ length: 17 }, (_, i) => 3 + i);
const GOAL_P50_MS = 20;
const GOAL_P99_MS = 100;
const GOAL_DISTRIBUTED_MS = 2_000;
/** Citus only: tables distributed per run. */
const DISTRIBUTED_TABLES = 20;
const TABLE = 'bench_events';

interface Received {
  tenant: string | null;
  /** Commit → subscriber, ms (the event carries the commit timestamp; same machine, same clock). */
  latencyMs: number;
}

interface LatencyRun {
  commits: number;
  received: number;
  /** Commits per second the writers achieved (null: not a write rate). */
  commitsPerSecond: number | null;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Commit → subscriber latency of `dataChanged` for single-row commits made through the API and by
 * plain SQL, then sustained commits/s from concurrent writers with every event accounted for.
 */
export async function eventsBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: String(SEED_SCALE), DISTRAG_SCHEMA_POLL_MS: String(SCHEMA_POLL_MS) }), report: options.report });
  const admin = new pg.Pool({ connectionString: stack.info.urls.postgres, max: options.connections });
  const received: Received[] = [];
  let client: ReturnType<typeof createClient> | null = null;
  try {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const token = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'admin' });
    const writer = await signUserToken(secrets.jwtSecret, { sub: 'bench', role: 'writer', tenant: API_TENANT });
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
    const main = new BenchTableBuilder({
      title: null,
      keyColumns: ['writes'],
      columns: [{ name: 'commits', digits: 0 }, { name: 'events received', digits: 0 }, { name: 'commits/s', digits: 0 }, { name: 'p50 ms', digits: 0 }, { name: 'p99 ms', digits: 0 }, { name: 'max ms', digits: 0 }],
    });
    const row = (run: LatencyRun) => [run.commits, run.received, run.commitsPerSecond, run.p50, run.p99, run.max];
    for (let run = 1; run <= options.runs; run++) {
      options.report(`run ${run}/${options.runs}: ${COMMITS} single-row commits through the API (tenant ${API_TENANT})`);
      const api = await latencyRun(received, COMMITS, (tenant) => tenant === API_TENANT, async () => {
        const response = await fetch(stack.info.urls.graphql, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
          body: JSON.stringify({ query: `mutation { insertBenchEvents(objects: [{ id: ${++id} }]) { affectedRows } }` }),
        });
        const body = (await response.json()) as { errors?: unknown };
        if (body.errors) throw new Error(`mutation failed: ${JSON.stringify(body.errors)}`);
      });
      options.report(`run ${run}/${options.runs}: ${COMMITS} single-row commits by plain SQL (tenant ${SQL_TENANT})`);
      const sql = await latencyRun(received, COMMITS, (tenant) => tenant === SQL_TENANT, async () => {
        await admin.query(`INSERT INTO ${TABLE} VALUES (${SQL_TENANT}, $1)`, [++id]);
      });
      options.report(`run ${run}/${options.runs}: sustained, ${options.connections} writers for ${options.duration}s`);
      const sustained = await sustainedRun(received, options.duration * 1000, async (worker) => {
        await admin.query(`INSERT INTO ${TABLE} VALUES ($1, $2)`, [SUSTAINED_TENANTS[worker % SUSTAINED_TENANTS.length], ++id]);
      }, options.connections);
      main.add(['single-row, through the API (sequential)'], row(api));
      main.add(['single-row, plain SQL (sequential)'], row(sql));
      main.add([`sustained, ${options.connections} SQL writers`], row(sustained));
      if (stack.info.mode === 'CITUS') {
        const distribution = await distributionLatency(admin, stack.info.urls.graphql, token, options.report);
        main.add([`create_distributed_table → served as distributed (${DISTRIBUTED_TABLES} tables, one after another)`], [distribution.commits, distribution.received, null, distribution.p50, distribution.p99, distribution.max]);
      }
    }
    const table = main.build();
    const figure = (key: string, column: string) => table.rows.find((r) => r.key[0]!.startsWith(key))?.figures[table.columns.findIndex((c) => c.name === column)] ?? null;
    const goal = (key: string) => {
      const p50 = figure(key, 'p50 ms')!;
      const p99 = figure(key, 'p99 ms')!;
      if (p50.max <= GOAL_P50_MS && p99.max <= GOAL_P99_MS) return 'met in every run';
      return p50.median <= GOAL_P50_MS && p99.median <= GOAL_P99_MS ? 'met by the medians, not in every run' : 'not met';
    };
    const commits = figure('sustained', 'commits')!;
    const events = figure('sustained', 'events received')!;
    const lost = commits.runs.reduce((sum, c, i) => sum + Math.max(0, c - (events.runs[i] ?? 0)), 0);
    const served = figure('create_distributed_table', 'p99 ms');
    return {
      mode: stack.info.mode,
      title: 'Change events: commit → subscriber (`npx distrag bench events`)',
      tables: [table],
      notes: [
        `Goal ≤ ${GOAL_P50_MS} ms p50 and ≤ ${GOAL_P99_MS} ms p99: through the API ${goal('single-row, through the API')}, by plain SQL ${goal('single-row, plain SQL')}. Sustained: events lost over all runs: ${lost}.`,
        ...(served ? [`A table distributed by create_distributed_table() is served as DISTRIBUTED within ${served.median} ms p99 (median of the runs; goal ≤ ${GOAL_DISTRIBUTED_MS} ms: ${served.max <= GOAL_DISTRIBUTED_MS ? 'met in every run' : served.median <= GOAL_DISTRIBUTED_MS ? 'met by the median, not in every run' : 'not met'}), with the catalog poll at ${SCHEMA_POLL_MS / 1000} s: the change feed turned the workers' shard DDL into a schema change.`] : []),
      ],
      method: [
        'Path: COMMIT on PostgreSQL → logical decoding (pgoutput slot per node; under Citus the coordinator and every worker) in the change feed → Redis Stream → the gateway\'s event hub → graphql-ws → the subscriber; latency measured from the commit timestamp the event carries to its arrival at the client (one machine, one clock; millisecond resolution).',
        `Each run: ${COMMITS} single-row commits one after another through the API (tenant ${API_TENANT}), ${COMMITS} by plain SQL (tenant ${SQL_TENANT}), then ${options.connections} concurrent SQL writers for ${options.duration} s (tenants ${SUSTAINED_TENANTS[0]}–${SUSTAINED_TENANTS.at(-1)}), each phase's events told apart by tenant; under Citus also ${DISTRIBUTED_TABLES} tables distributed one after another, each timed from create_distributed_table() returning until the API's dataCatalog says DISTRIBUTED.`,
        `One subscriber (admin, \`dataChanged(tables: ["${TABLE}"])\`) on the gateway; each commit inserts one row, so each is one event. Under Citus ${TABLE} is a local table of the coordinator (created by DDL, not distributed). Demo data scale ${SEED_SCALE}; the load, the feed, Redis, the gateway and every PostgreSQL node share the machine's CPUs.`,
      ],
    };
  } finally {
    await client?.dispose();
    await admin.end();
    await stack.stop();
  }
}

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
  return { commits: DISTRIBUTED_TABLES, received: latencies.length, commitsPerSecond: null, ...percentiles(latencies) };
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

/** Runs `commit` `commits` times in a row and waits for their events (those `ours` recognises by tenant). */
async function latencyRun(received: Received[], commits: number, ours: (tenant: string | null) => boolean, commit: () => Promise<void>): Promise<LatencyRun> {
  received.length = 0;
  const started = Date.now();
  for (let i = 0; i < commits; i++) await commit();
  const seconds = (Date.now() - started) / 1000;
  const mine = () => received.filter((r) => ours(r.tenant));
  const deadline = Date.now() + 30_000;
  while (mine().length < commits && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const events = mine();
  return { commits, received: events.length, commitsPerSecond: commits / seconds, ...percentiles(events.map((r) => r.latencyMs)) };
}

/** `writers` concurrent loops of `commit` for `ms`, then waits (up to 30 s) for every event of the sustained tenants. */
async function sustainedRun(received: Received[], ms: number, commit: (worker: number) => Promise<void>, writers: number): Promise<LatencyRun> {
  received.length = 0;
  let commits = 0;
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, worker) => {
      while (Date.now() < end) {
        await commit(worker);
        commits += 1;
      }
    }),
  );
  const ours = () => received.filter((r) => r.tenant !== API_TENANT && r.tenant !== SQL_TENANT);
  const deadline = Date.now() + 30_000;
  while (ours().length < commits && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const events = ours();
  return { commits, received: events.length, commitsPerSecond: commits / (ms / 1000), ...percentiles(events.map((r) => r.latencyMs)) };
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
