import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { listBackupRecords } from '../src/backup/backup-record.js';
import { nodeBackupPaths } from '../src/backup/backup-daemon.js';
import { listWalSegments } from '../src/backup/wal-segments.js';
import { LocalRuntime } from '../src/recovery/local-runtime.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { managerFor } from '../src/stack/stack-control.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { nodeUrl } from '../src/db/with-client.js';
import { AcknowledgedWriter, createDrillTable, DRILL_TABLE } from './acknowledged-writer.js';
import type { BenchOutcome, BenchTable } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { percentile } from './load.js';
import type { BenchmarkOptions } from './run-benchmark.js';

const SCALES = [1, 10];
const GOAL_KILL_RTO_S = 10;
const GOAL_RESTORE_S_PER_GB = 60;
/** Sequential commits per latency sample. */
const LATENCY_COMMITS = 500;
const WRITERS = 4;

interface Drill {
  /** Kill → the node answers a query again, seconds. */
  rtoSeconds: number;
  /** The longest stretch the writer saw without an acknowledged commit, seconds. */
  outageSeconds: number;
  /** Acknowledged commits missing afterwards (RPO). */
  lost: number;
  /** Backup plus WAL restored (disk loss only), bytes. */
  restoredBytes: number | null;
}

/**
 * `npx distrag bench recovery`: time to serve again (RTO) after kill -9 of a database node and after
 * the loss of its data directory, at seed scales 1 and 10, with the acknowledged commits checked
 * (RPO); the commit latency with synchronous WAL streaming (RPO 0, the default) and without; under
 * Citus, the rebalance after adding a worker.
 */
export async function recoveryBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  const drills = new BenchTableBuilder({
    title: null,
    keyColumns: ['seed scale', 'fault'],
    columns: [{ name: 'RTO s', digits: 1 }, { name: 'writer outage s', digits: 1 }, { name: 'restored MB', digits: 0 }, { name: 's per GB restored', digits: 0 }, { name: 'acknowledged commits lost', digits: 0 }],
  });
  const latency = new BenchTableBuilder({
    title: 'Commit latency: synchronous WAL streaming (RPO 0) against asynchronous',
    keyColumns: ['seed scale', 'WAL streaming'],
    columns: [{ name: 'p50 ms', digits: 2 }, { name: 'p99 ms', digits: 2 }, { name: `commits/s (${WRITERS} writers)`, digits: 0 }, { name: 'receiver lag p99 ms', digits: 1 }],
  });
  const rebalance = new BenchTableBuilder({
    title: 'Rebalance after adding a worker (Citus)',
    keyColumns: ['seed scale'],
    columns: [{ name: 'shard moves planned', digits: 0 }, { name: 'seconds', digits: 1 }],
  });
  let mode: BenchOutcome['mode'] = options.mode;
  for (const scale of SCALES) {
    options.report(`seed scale ${scale}: starting a private stack`);
    const stack = await startPrivateStack({
      prefix: 'distrag-bench',
      workers: options.mode === 'CITUS' ? 2 : 0,
      env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: String(scale), DISTRAG_READY_NEEDS_BACKUP: 'true' }),
      report: options.report,
    });
    mode = stack.info.mode;
    try {
      await createDrillTable(stack.info.urls.postgres);
      const target = stack.info.nodes.find((n) => n.role === 'worker') ?? stack.info.nodes[0]!;
      for (let run = 1; run <= options.runs; run++) {
        options.report(`scale ${scale}, run ${run}/${options.runs}: kill -9 of ${target.name}`);
        const killed = await drill(stack, target.name, false);
        drills.add([String(scale), `kill -9 of ${target.name}`], [killed.rtoSeconds, killed.outageSeconds, null, null, killed.lost]);
        options.report(`scale ${scale}, run ${run}/${options.runs}: ${target.name}'s data directory lost`);
        const lost = await drill(stack, target.name, true);
        const mb = (lost.restoredBytes ?? 0) / 1_048_576;
        drills.add([String(scale), `data directory of ${target.name} lost`], [lost.rtoSeconds, lost.outageSeconds, mb, lost.rtoSeconds / (mb / 1024), lost.lost]);
        options.report(`scale ${scale}, run ${run}/${options.runs}: commit latency, synchronous then asynchronous WAL streaming`);
        for (const synchronous of [true, false]) {
          const sample = await commitLatency(stack, synchronous, options.duration);
          latency.add([String(scale), synchronous ? 'synchronous (default)' : 'asynchronous (DISTRAG_BACKUP_SYNC=off)'], [sample.p50, sample.p99, sample.commitsPerSecond, sample.lagP99]);
        }
      }
      if (stack.info.mode === 'CITUS') {
        options.report(`scale ${scale}: adding a worker and rebalancing`);
        const moved = await addWorkerAndRebalance(stack);
        rebalance.add([String(scale)], [moved.shards, moved.seconds]);
      }
    } finally {
      await stack.stop();
    }
  }
  const main = drills.build();
  const column = (table: BenchTable, name: string) => table.columns.findIndex((c) => c.name === name);
  const worst = (fault: RegExp, name: string) => Math.max(...main.rows.filter((r) => fault.test(r.key[1]!)).map((r) => r.figures[column(main, name)]?.max ?? 0));
  const lostTotal = main.rows.reduce((sum, r) => sum + (r.figures[column(main, 'acknowledged commits lost')]?.runs.reduce((a, b) => a + b, 0) ?? 0), 0);
  const tables = [main, latency.build(), ...(mode === 'CITUS' ? [rebalance.build()] : [])];
  return {
    mode,
    title: 'Recovery: RTO, RPO and the cost of RPO 0 (`npx distrag bench recovery`)',
    tables,
    notes: [
      `Goal RTO ≤ ${GOAL_KILL_RTO_S} s after a kill: worst run ${worst(/kill/, 'RTO s').toFixed(1)} s (${worst(/kill/, 'RTO s') <= GOAL_KILL_RTO_S ? 'met' : 'not met'}). Goal ≤ ${GOAL_RESTORE_S_PER_GB} s per GB restored: worst run ${worst(/lost/, 's per GB restored').toFixed(0)} s/GB (${worst(/lost/, 's per GB restored') <= GOAL_RESTORE_S_PER_GB ? 'met' : 'not met'}; at these sizes the fixed costs — detection, start, promotion — dominate the per-GB figure). Goal RPO 0: ${lostTotal} acknowledged commits lost over every drill.`,
    ],
    method: [
      `Private stack per seed scale (${SCALES.join(' and ')}; ${options.mode === 'CITUS' ? 'coordinator + 2 workers' : 'one node'}), started with the defaults: synchronous WAL streaming, the recovery watchdog (checks every second, 2 failed checks of both signals before acting), and ready only once every node has a verified base backup.`,
      `Each drill runs under ${WRITERS} writers inserting one row per commit into ${DRILL_TABLE} (distributed by tenant under Citus) and remembering every acknowledged commit; afterwards every acknowledged row must be there. RTO: from the kill to the node answering a query again (direct connection); writer outage: the longest stretch without an acknowledged commit. Kill: SIGKILL of the postmaster (the watchdog restarts it in place). Data directory lost: SIGKILL, then the directory deleted (the watchdog restores the latest base backup plus all WAL received since); restored MB is the backup's size plus the WAL replayed.`,
      `Commit latency: ${LATENCY_COMMITS} sequential single-row commits (p50, p99), then ${WRITERS} writers for ${options.duration} s (commits/s). Asynchronous: synchronous_standby_names cleared on every node (what DISTRAG_BACKUP_SYNC=off does); the receiver lag is pg_stat_replication.flush_lag of the WAL receiver, sampled during the load: the window of acknowledged commits a disk loss could take in that mode.`,
      'Rebalance (Citus, once per scale, so one run per figure): a third worker started and added, then citus_rebalance_start() and citus_rebalance_wait(); time from start to done. The planned moves count shards of every co-located table (a move carries its group); the time is mostly Citus\'s pause between its background tasks, hardly the data.',
    ],
  };
}

function adminUrlOf(stack: PrivateStack, node: string): string {
  return nodeUrl(stack.info.urls.postgres, stack.info.nodes.find((n) => n.name === node)!);
}

async function drill(stack: PrivateStack, node: string, loseData: boolean): Promise<Drill> {
  const writer = new AcknowledgedWriter(stack.info.urls.postgres, WRITERS);
  writer.start();
  try {
    await writer.waitForAcks(200, 60_000);
    const record = managerFor(stack.config).list().find((p) => p.name === `postgres-${node}`)!;
    const backupRoot = path.join(stack.config.home, 'backups');
    const backup = listBackupRecords(nodeBackupPaths(backupRoot, node).dir)[0];
    const walBytes = listWalSegments(nodeBackupPaths(backupRoot, node).walDir).length * 16 * 1_048_576;
    const killedAt = performance.now();
    process.kill(record.pid, 'SIGKILL');
    if (loseData) fs.rmSync(stackLayout(stack.config.home).pgDir(node), { recursive: true, force: true });
    await untilAnswers(adminUrlOf(stack, node));
    const rtoSeconds = (performance.now() - killedAt) / 1000;
    await writer.waitForAcks(200, 120_000);
    const summary = await writer.stop();
    return { rtoSeconds, outageSeconds: summary.longestOutageMs / 1000, lost: (await writer.missing(stack.info.urls.postgres)).length, restoredBytes: loseData ? (backup?.sizeBytes ?? 0) + walBytes : null };
  } catch (error) {
    await writer.stop().catch(() => undefined);
    throw error;
  }
}

/** Waits until the node answers a query, out of recovery (its killed postmaster takes no connection). */
async function untilAnswers(url: string): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ recovering: boolean }>(`SELECT pg_is_in_recovery() AS recovering`);
      if (!rows[0]?.recovering) return;
    } catch {
      // not yet
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`${url.replace(/:[^:@]*@/, ':***@')} did not answer within 10 min`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setSynchronous(stack: PrivateStack, synchronous: boolean): Promise<void> {
  for (const node of stack.info.nodes) {
    const client = new pg.Client({ connectionString: adminUrlOf(stack, node.name) });
    await client.connect();
    try {
      await client.query(synchronous ? 'ALTER SYSTEM RESET synchronous_standby_names' : `ALTER SYSTEM SET synchronous_standby_names = ''`);
      await client.query('SELECT pg_reload_conf()');
    } finally {
      await client.end();
    }
  }
  await new Promise((r) => setTimeout(r, 500));
}

async function commitLatency(stack: PrivateStack, synchronous: boolean, durationSeconds: number): Promise<{ p50: number; p99: number; commitsPerSecond: number; lagP99: number | null }> {
  await setSynchronous(stack, synchronous);
  try {
    const client = new pg.Client({ connectionString: stack.info.urls.postgres });
    await client.connect();
    const samples: number[] = [];
    try {
      const base = Date.now() * 1000;
      for (let i = 0; i < LATENCY_COMMITS; i++) {
        const began = performance.now();
        await client.query(`INSERT INTO ${DRILL_TABLE} (tenant, seq) VALUES ($1, $2)`, [i % 32, base + i]);
        samples.push(performance.now() - began);
      }
    } finally {
      await client.end();
    }
    const writer = new AcknowledgedWriter(stack.info.urls.postgres, WRITERS);
    const lags: number[] = [];
    writer.start();
    const started = performance.now();
    const end = Date.now() + durationSeconds * 1000;
    while (Date.now() < end) {
      if (!synchronous) lags.push(...(await receiverLags(stack)));
      await new Promise((r) => setTimeout(r, 200));
    }
    const summary = await writer.stop();
    const seconds = (performance.now() - started) / 1000;
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    return { p50: percentile(sorted(samples), 50), p99: percentile(sorted(samples), 99), commitsPerSecond: summary.acknowledged / seconds, lagP99: synchronous ? null : percentile(sorted(lags), 99) };
  } finally {
    await setSynchronous(stack, true);
  }
}

/** flush_lag of every node's WAL receiver now, in ms (null lags — nothing pending — count as 0). */
async function receiverLags(stack: PrivateStack): Promise<number[]> {
  const lags: number[] = [];
  for (const node of stack.info.nodes) {
    const client = new pg.Client({ connectionString: adminUrlOf(stack, node.name) });
    await client.connect();
    try {
      const { rows } = await client.query<{ ms: number | null }>(`SELECT extract(epoch FROM flush_lag) * 1000 AS ms FROM pg_stat_replication WHERE application_name = 'distrag_wal'`);
      lags.push(...rows.map((r) => Number(r.ms ?? 0)));
    } finally {
      await client.end();
    }
  }
  return lags;
}

async function addWorkerAndRebalance(stack: PrivateStack): Promise<{ shards: number; seconds: number }> {
  const runtime = new LocalRuntime(stack.config, stack.info.urls.postgres, 'bench');
  const worker = await runtime.startWorker(null);
  const client = new pg.Client({ connectionString: stack.info.urls.postgres });
  await client.connect();
  try {
    await client.query('SELECT citus_add_node($1, $2)', [worker.host, worker.port]);
    // The plan's shard_size is not filled in by the default strategy (by shard count): moves only.
    const { rows: plan } = await client.query<{ shards: string }>(`SELECT count(*)::text AS shards FROM get_rebalance_table_shards_plan()`);
    const started = performance.now();
    await client.query('SELECT citus_rebalance_start()');
    await client.query('SELECT citus_rebalance_wait()');
    return { shards: Number(plan[0]!.shards), seconds: (performance.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}
