import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ClusterNotifier } from '../events/cluster-notifier.js';
import { readDataNodes } from '../feed/data-nodes.js';
import { nodeUrl } from '../db/with-client.js';
import { ADMIN_USER } from '../stack/postgres-node.js';
import type { RunAs } from '../stack/service-user.js';
import { listBackupRecords, type BackupRecord } from './backup-record.js';
import { writeBackupMarker } from './backup-marker.js';
import { pruneBackups } from './prune-backups.js';
import { takeBaseBackup } from './take-base-backup.js';
import { testRestore } from './test-restore.js';
import { WAL_RECEIVER_APPLICATION, WalReceiver, type WalReceiverState } from './wal-receiver.js';
import { pruneWalBefore } from './wal-segments.js';

export interface DataNodeAddress {
  name: string;
  host: string;
  port: number;
}

export interface BackupDaemonOptions {
  /** The coordinator's admin URL; the same credentials reach every node. */
  adminUrl: string;
  binDir: string;
  /** DISTRAG_HOME/backups: <node>/<id>/ base backups, <node>/wal/ the streamed WAL. */
  backupRoot: string;
  keep: number;
  /** Base backups on a schedule; false: WAL only (backups by hand). */
  scheduled: boolean;
  intervalSeconds: number;
  restorePointIntervalSeconds: number;
  restoreTest: boolean;
  synchronous: boolean;
  runAs: RunAs | null;
  /** The nodes `up` started (DISTRAG_BACKUP_NODES): streamed from the start, before the Citus metadata lists them. */
  initialNodes: DataNodeAddress[];
  notifier: ClusterNotifier;
  log: Logger;
  registry: Registry;
}

export interface NodeBackupStatus {
  node: string;
  host: string;
  port: number;
  receiver: WalReceiverState;
  receiverError: string | null;
  lastBackup: BackupRecord | null;
  backups: number;
  lastError: string | null;
}

const TICK_MS = 2_000;
const RETRY_MIN_MS = 10_000;

/** Where one node's files live under the backup root. */
export function nodeBackupPaths(backupRoot: string, node: string) {
  const dir = path.join(backupRoot, node);
  return { dir, walDir: path.join(dir, 'wal'), supersededDir: path.join(dir, 'superseded') };
}

/**
 * `distrag backup --watch`: streams every data node's WAL continuously (one supervised
 * pg_receivewal each, synchronous by default), takes a verified base backup of each node on a
 * schedule (and at once when a node has none), tests each by restoring it on a spare port, keeps
 * DISTRAG_BACKUP_KEEP backups and the WAL since the oldest, and makes cluster-wide restore points.
 */
export class BackupDaemon {
  private readonly nodes = new Map<string, DataNodeAddress>();
  private readonly receivers = new Map<string, WalReceiver>();
  private readonly running = new Map<string, Promise<BackupRecord>>();
  private readonly held = new Set<string>();
  private metadataRead = false;
  private readonly synchronousChecked = new Set<string>();
  /** Nodes the coordinator's metadata has listed at some point, and those it listed and no longer does. */
  private readonly listed = new Set<string>();
  private readonly removed = new Set<string>();
  private readonly failures = new Map<string, { count: number; retryAt: number; error: string }>();
  private timer: NodeJS.Timeout | null = null;
  private lastRestorePoint = 0;
  private ticking = false;
  private readonly nodesFile: string;

  constructor(private readonly options: BackupDaemonOptions) {
    this.nodesFile = path.join(options.backupRoot, 'nodes.json');
    const known = this;
    new Gauge({
      name: 'distrag_backup_age_seconds',
      help: 'Seconds since the newest verified base backup of each node finished',
      labelNames: ['node'] as const,
      registers: [options.registry],
      collect() {
        for (const node of known.nodes.keys()) {
          const last = known.latest(node);
          if (last) this.set({ node }, (Date.now() - Date.parse(last.finishedAt)) / 1000);
        }
      },
    });
    new Gauge({
      name: 'distrag_wal_receiver_streaming',
      help: '1 while the node\'s WAL receiver streams',
      labelNames: ['node'] as const,
      registers: [options.registry],
      collect() {
        for (const [node, receiver] of known.receivers) this.set({ node }, receiver.state === 'streaming' ? 1 : 0);
      },
    });
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.options.backupRoot, { recursive: true, mode: 0o700 });
    const known = this.readKnownNodes();
    for (const node of [...known, ...this.options.initialNodes.filter((n) => !this.removed.has(n.name))]) this.nodes.set(node.name, node);
    await this.refreshNodes().catch((error: unknown) => this.options.log.warn({ err: error }, 'cannot list the data nodes yet; using the last known list'));
    this.syncReceivers();
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()]);
    await Promise.all([...this.receivers.values()].map((r) => r.stop()));
  }

  /** Every node streams its WAL (and has a verified backup, when `needBackup`); else what is missing. */
  readiness(needBackup: boolean): string | null {
    if (this.nodes.size === 0) return 'no data node known yet';
    for (const node of this.nodes.keys()) {
      const receiver = this.receivers.get(node);
      if (receiver?.state !== 'streaming' && !this.held.has(node)) return `the WAL of ${node} is not streaming yet${receiver?.error ? ` (${receiver.error})` : ''}`;
      if (needBackup && !this.latest(node)) return `${node} has no verified base backup yet`;
    }
    return null;
  }

  status(): NodeBackupStatus[] {
    return [...this.nodes.values()].map((node) => {
      const receiver = this.receivers.get(node.name);
      const records = listBackupRecords(nodeBackupPaths(this.options.backupRoot, node.name).dir);
      return {
        node: node.name,
        host: node.host,
        port: node.port,
        receiver: this.held.has(node.name) ? 'held' : receiver?.state ?? 'stopped',
        receiverError: receiver?.error ?? null,
        lastBackup: records[0] ?? null,
        backups: records.length,
        lastError: this.failures.get(node.name)?.error ?? null,
      };
    });
  }

  knows(node: string): boolean {
    return this.nodes.has(node);
  }

  /** A verified base backup of one node now (joins one already under way); events and retention included. */
  backup(node: string, reason: string): Promise<BackupRecord> {
    const address = this.nodes.get(node);
    if (!address) return Promise.reject(new Error(`unknown node "${node}"; known: ${[...this.nodes.keys()].join(', ')}`));
    const current = this.running.get(node);
    if (current) return current;
    const work = this.runBackup(address, reason).finally(() => this.running.delete(node));
    this.running.set(node, work);
    return work;
  }

  /** Stops a node's WAL receiver while the node is restored (its WAL directory is read by the restore). */
  async hold(node: string): Promise<void> {
    this.held.add(node);
    await this.running.get(node)?.catch(() => undefined);
    await this.receivers.get(node)?.hold();
  }

  /**
   * Streams again after `hold`. After a point-in-time restore the node runs on a new timeline: the
   * old WAL and the backups it belonged to are set aside (kept, one generation) and a new base
   * backup is taken at once, from which the chain starts again.
   */
  async release(node: string, newTimeline: boolean): Promise<void> {
    if (newTimeline) this.supersede(node);
    this.held.delete(node);
    this.receivers.get(node)?.release();
    if (newTimeline) {
      this.failures.delete(node);
      void this.backup(node, 'after a restore').catch(() => undefined);
    }
  }

  private supersede(node: string): void {
    const paths = nodeBackupPaths(this.options.backupRoot, node);
    fs.rmSync(paths.supersededDir, { recursive: true, force: true });
    fs.mkdirSync(paths.supersededDir, { recursive: true, mode: 0o700 });
    if (fs.existsSync(paths.walDir)) fs.renameSync(paths.walDir, path.join(paths.supersededDir, 'wal'));
    for (const record of listBackupRecords(paths.dir)) fs.renameSync(path.join(paths.dir, record.id), path.join(paths.supersededDir, record.id));
  }

  private latest(node: string): BackupRecord | null {
    return listBackupRecords(nodeBackupPaths(this.options.backupRoot, node).dir)[0] ?? null;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.refreshNodes().catch(() => undefined);
      this.syncReceivers();
      await this.ensureSynchronous();
      for (const node of this.nodes.keys()) {
        if (this.held.has(node) || this.running.has(node)) continue;
        const failure = this.failures.get(node);
        if (failure && Date.now() < failure.retryAt) continue;
        const last = this.latest(node);
        const due = !last || Date.now() - Date.parse(last.finishedAt) >= this.options.intervalSeconds * 1000;
        // Only once its WAL streams (a backup is restorable to the present only with the WAL after
        // it) and the database is set up (the marker row needs it).
        if (due && this.options.scheduled && this.metadataRead && this.receivers.get(node)?.state === 'streaming') {
          void this.backup(node, last ? 'scheduled' : 'first backup').catch(() => undefined);
        }
      }
      if (this.metadataRead && Date.now() - this.lastRestorePoint >= this.options.restorePointIntervalSeconds * 1000) await this.createRestorePoint();
    } finally {
      this.ticking = false;
    }
  }

  /**
   * RPO 0 for every node, those added after `up` too (a worker started by addNode runs without a
   * synchronous standby until its WAL streams, else its first commits would wait for a receiver
   * that only starts once the metadata lists it): once a node's receiver streams, its commits are
   * made to wait for it.
   */
  private async ensureSynchronous(): Promise<void> {
    if (!this.options.synchronous) return;
    for (const node of this.nodes.values()) {
      if (this.synchronousChecked.has(node.name) || this.receivers.get(node.name)?.state !== 'streaming') continue;
      const client = new pg.Client({ connectionString: nodeUrl(this.options.adminUrl, node), application_name: 'distrag-backup', connectionTimeoutMillis: 3_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ names: string }>('SELECT current_setting($1) AS names', ['synchronous_standby_names']);
        if (rows[0]?.names !== WAL_RECEIVER_APPLICATION) {
          await client.query(`ALTER SYSTEM SET synchronous_standby_names = '${WAL_RECEIVER_APPLICATION}'`);
          await client.query('SELECT pg_reload_conf()');
          this.options.log.info({ node: node.name }, 'synchronous WAL streaming turned on for the node');
        }
        this.synchronousChecked.add(node.name);
      } catch (error) {
        this.options.log.warn({ err: error, node: node.name }, 'could not check the node\'s synchronous standby setting; will retry');
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  private async runBackup(node: DataNodeAddress, reason: string): Promise<BackupRecord> {
    const { options } = this;
    const paths = nodeBackupPaths(options.backupRoot, node.name);
    const password = decodeURIComponent(new URL(options.adminUrl).password);
    const nodeAdmin = nodeUrl(options.adminUrl, node);
    try {
      const marker = `backup-${node.name}-${Date.now()}`;
      await writeBackupMarker(nodeAdmin, marker);
      const record = await takeBaseBackup({
        node, user: ADMIN_USER, password, binDir: options.binDir, nodeDir: paths.dir,
        report: (line) => options.log.info({ node: node.name, reason }, line),
      });
      if (options.restoreTest) {
        const problem = await testRestore({ backupDir: path.join(paths.dir, record.id), binDir: options.binDir, password, marker, runAs: options.runAs });
        if (problem) {
          fs.rmSync(path.join(paths.dir, record.id), { recursive: true, force: true });
          throw new Error(`restore test of backup ${record.id} failed: ${problem}`);
        }
      }
      const removed = pruneBackups(paths.dir, options.keep);
      const oldest = listBackupRecords(paths.dir).at(-1);
      const walRemoved = oldest ? pruneWalBefore(paths.walDir, oldest.walStart) : 0;
      this.failures.delete(node.name);
      options.notifier.notify('BACKUP_COMPLETED', node.name, `backup ${record.id} of ${node.name} (${reason}) verified${options.restoreTest ? ' and restore-tested' : ''}: ${(record.sizeBytes / 1_048_576).toFixed(1)} MB, WAL ${record.walStart}–${record.walEnd}${removed.length + walRemoved > 0 ? `; retention removed ${removed.length} backup(s) and ${walRemoved} WAL segment(s)` : ''}`);
      return record;
    } catch (error) {
      const message = (error as Error).message;
      const previous = this.failures.get(node.name)?.count ?? 0;
      const delay = Math.min(options.intervalSeconds * 1000, RETRY_MIN_MS * 2 ** previous);
      this.failures.set(node.name, { count: previous + 1, retryAt: Date.now() + delay, error: message });
      options.notifier.notify('BACKUP_FAILED', node.name, `backup of ${node.name} (${reason}) failed: ${message}; retrying in ${Math.round(delay / 1000)} s`);
      throw error;
    }
  }

  /** A named point every node's WAL can be recovered to together (Citus: all nodes at once, writes paused briefly). */
  private async createRestorePoint(): Promise<void> {
    this.lastRestorePoint = Date.now();
    const client = new pg.Client({ connectionString: this.options.adminUrl, application_name: 'distrag-backup', connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    const name = `distrag-${new Date().toISOString()}`;
    try {
      await client.connect();
      const { rows } = await client.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
      const { rows: made } = await client.query<{ lsn: string }>(
        rows[0]?.citus ? 'SELECT citus_create_restore_point($1)::text AS lsn' : 'SELECT pg_create_restore_point($1)::text AS lsn',
        [name],
      );
      fs.appendFileSync(path.join(this.options.backupRoot, 'restore-points.jsonl'), `${JSON.stringify({ name, at: new Date().toISOString(), coordinatorLsn: made[0]?.lsn })}\n`);
      this.options.log.info({ name }, 'restore point created');
    } catch (error) {
      // Again in a minute (or at the interval, if shorter), not a whole interval later.
      this.lastRestorePoint = Date.now() - Math.max(0, this.options.restorePointIntervalSeconds * 1000 - 60_000);
      this.options.log.warn({ err: error }, 'could not create a restore point; will try again');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * The data nodes: once the coordinator's metadata is set up (Citus with the coordinator
   * registered, or a plain node with the database made) it is authoritative — nodes added later
   * join, removed ones leave; before that, the nodes `up` started and those last known.
   */
  private async refreshNodes(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.adminUrl, application_name: 'distrag-backup', connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ citus: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus`);
      if (rows[0]?.citus) {
        const { rows: coordinator } = await client.query(`SELECT 1 FROM pg_dist_node WHERE groupid = 0`);
        if (coordinator.length === 0) return;
      }
      const listed = await readDataNodes(client, this.options.adminUrl);
      const fresh = listed.map((n) => ({ name: n.name, host: new URL(n.url).hostname, port: Number(new URL(n.url).port) }));
      // The nodes `up` started stay until the metadata has listed them once (bootstrap adds the
      // workers after registering the coordinator); one listed before and gone since was removed.
      for (const node of this.nodes.keys()) if (!fresh.some((n) => n.name === node) && this.listed.has(node)) this.removed.add(node);
      for (const node of fresh) {
        this.listed.add(node.name);
        this.removed.delete(node.name);
      }
      const pending = this.options.initialNodes.filter((n) => !this.listed.has(n.name) && !this.removed.has(n.name));
      const next = [...fresh, ...pending];
      const changed = JSON.stringify(next) !== JSON.stringify([...this.nodes.values()]);
      this.nodes.clear();
      for (const node of next) this.nodes.set(node.name, node);
      this.metadataRead = true;
      if (changed) this.writeKnownNodes();
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** nodes.json: the nodes last streamed, and those the metadata once listed and no longer does (removed). */
  private readKnownNodes(): DataNodeAddress[] {
    try {
      const known = JSON.parse(fs.readFileSync(this.nodesFile, 'utf8')) as { nodes: DataNodeAddress[]; listed?: string[]; removed?: string[] };
      for (const name of known.listed ?? []) this.listed.add(name);
      for (const name of known.removed ?? []) this.removed.add(name);
      return known.nodes.filter((n) => !this.removed.has(n.name));
    } catch {
      return [];
    }
  }

  private writeKnownNodes(): void {
    const known = { nodes: [...this.nodes.values()], listed: [...this.listed], removed: [...this.removed] };
    fs.writeFileSync(this.nodesFile, JSON.stringify(known, null, 2), { mode: 0o600 });
  }

  private syncReceivers(): void {
    const password = decodeURIComponent(new URL(this.options.adminUrl).password);
    for (const node of this.nodes.values()) {
      const existing = this.receivers.get(node.name);
      if (existing) continue;
      const receiver = new WalReceiver({
        node, walDir: nodeBackupPaths(this.options.backupRoot, node.name).walDir, binDir: this.options.binDir,
        user: ADMIN_USER, password, synchronous: this.options.synchronous, log: this.options.log,
      });
      this.receivers.set(node.name, receiver);
      if (this.held.has(node.name)) void receiver.hold();
      receiver.start();
    }
    for (const [name, receiver] of this.receivers) {
      if (this.nodes.has(name)) continue;
      this.receivers.delete(name);
      void receiver.stop();
    }
  }
}
