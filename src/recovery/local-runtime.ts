import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config/config.js';
import { ensureDatabase } from '../db/bootstrap/ensure-database.js';
import { isPortFree } from '../stack/port-check.js';
import { findPostgresBinaries } from '../stack/postgres-binaries.js';
import { adminUrl, preparePostgresNode } from '../stack/postgres-node.js';
import { isAlive, ProcessManager, sleep } from '../stack/process-manager.js';
import { resolveServiceUser } from '../stack/service-user.js';
import { ADDED_WORKER_MARK, stackLayout } from '../stack/stack-layout.js';
import { livenessUrl } from './liveness.js';
import type { ServiceRuntime, WatchedService } from './service-runtime.js';

const POSTGRES_PREFIX = 'postgres-';
const RESTART_ATTEMPTS = 3;
const RESTART_PAUSE_MS = 1_000;

/**
 * The CLI's runtime: the processes `up` started, as recorded in run/processes.json with how each
 * was started, so any of them can be started again the same way.
 */
export class LocalRuntime implements ServiceRuntime {
  readonly kind = 'local' as const;
  private readonly layout;
  private readonly manager;

  constructor(private readonly config: Config, private readonly adminDatabaseUrl: string, private readonly self: string) {
    this.layout = stackLayout(config.home);
    this.manager = new ProcessManager(this.layout.processesFile, this.layout.logDir);
  }

  async services(): Promise<WatchedService[]> {
    return this.manager.list()
      .filter((p) => p.name !== this.self && p.spec)
      .map((p) => ({
        name: p.name,
        node: p.name.startsWith(POSTGRES_PREFIX) ? p.name.slice(POSTGRES_PREFIX.length) : null,
        alive: isAlive(p),
        health: p.health,
        stopping: p.stopping === true,
      }));
  }

  async restart(name: string, options: { startTimeoutMs?: number } = {}): Promise<void> {
    const target = this.manager.list().find((p) => p.name === name);
    if (!target?.spec) throw new Error(`no process named ${name} was started by \`up\``);
    if (isAlive(target)) await this.manager.stop(target, true);
    const spec = { ...target.spec, startTimeoutMs: Math.max(target.spec.startTimeoutMs ?? 60_000, options.startTimeoutMs ?? 0) };
    for (let attempt = 1; ; attempt++) {
      try {
        const waitFor = spec.health.kind === 'http' ? { kind: 'http' as const, url: livenessUrl(spec.health.url) } : spec.health;
        await this.manager.start(spec, { keepRecord: true, waitFor });
        return;
      } catch (error) {
        // Right after a kill -9 of PostgreSQL its orphaned backends hold the shared memory for a
        // moment ("lock file postmaster.pid already exists"): a start that fails fast is retried.
        if (attempt >= RESTART_ATTEMPTS) throw error;
        await sleep(RESTART_PAUSE_MS * attempt);
      }
    }
  }

  async stop(name: string): Promise<void> {
    const target = this.manager.list().find((p) => p.name === name);
    if (target) await this.manager.stop(target, true);
  }

  async kill(name: string): Promise<void> {
    const target = this.manager.list().find((p) => p.name === name);
    if (!target || !isAlive(target)) return;
    for (const pid of [-target.pid, target.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    while (isAlive(target)) await sleep(50);
  }

  dataDir(node: string): string {
    return this.layout.pgDir(node);
  }

  /** initdb, start and prepare a new worker under the next Citus group number, as `up` starts its workers. */
  readonly startWorker = async (requestedPort: number | null): Promise<{ host: string; port: number }> => {
    const { config } = this;
    const host = config.DISTRAG_HOST;
    const binaries = findPostgresBinaries(config);
    if (!binaries.citusAvailable) throw new Error('the citus extension is not installed here');
    const group = await this.nextGroupId();
    const name = `worker-${group}`;
    if (this.manager.list().some((p) => p.name === `${POSTGRES_PREFIX}${name}`)) throw new Error(`a process named ${POSTGRES_PREFIX}${name} already exists`);
    const port = requestedPort ?? (await this.freeWorkerPort(host));
    if (!(await isPortFree(port, host))) throw new Error(`port ${port} is already in use`);
    const password = decodeURIComponent(new URL(this.adminDatabaseUrl).password);
    const spec = preparePostgresNode({
      name: `${POSTGRES_PREFIX}${name}`, dataDir: this.layout.pgDir(name), host, port, password, citus: true,
      // Not yet synchronous: nothing streams its WAL until the metadata lists it (after addNode);
      // the backup process turns synchronous commit on once it does (BackupDaemon.ensureSynchronous).
      walSync: false, binaries, runAs: resolveServiceUser(config.DISTRAG_SERVICE_USER), passFile: this.layout.passFile,
    });
    // `up` starts a worker it did not make itself only with this mark (see start-stack's addedWorkers).
    fs.writeFileSync(path.join(this.layout.pgDir(name), ADDED_WORKER_MARK), `${new Date().toISOString()}\n`);
    await this.manager.start(spec);
    await ensureDatabase(adminUrl({ host, port, password }, 'postgres'), adminUrl({ host, port, password }), true);
    return { host, port };
  };

  private async nextGroupId(): Promise<number> {
    const client = new pg.Client({ connectionString: this.adminDatabaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ next: string }>(`SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text AS next FROM pg_catalog.pg_dist_groupid_seq`);
      return Number(rows[0]!.next);
    } finally {
      await client.end();
    }
  }

  private async freeWorkerPort(host: string): Promise<number> {
    const taken = new Set(this.manager.list().map((p) => p.port));
    for (let port = this.config.DISTRAG_WORKER_PORT_BASE; port < this.config.DISTRAG_WORKER_PORT_BASE + 64; port++) {
      if (!taken.has(port) && (await isPortFree(port, host))) return port;
    }
    throw new Error(`no free port from ${this.config.DISTRAG_WORKER_PORT_BASE} on; pass a port`);
  }
}
