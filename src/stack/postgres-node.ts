import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WAL_RECEIVER_APPLICATION } from '../backup/wal-receiver.js';
import { schemaDir } from '../paths.js';
import type { ProcessSpec } from './process-manager.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import { chownTree, type RunAs } from './service-user.js';

export const ADMIN_USER = 'distrag_admin';
export const DATABASE_NAME = 'distrag';

export interface PostgresNodeOptions {
  name: string;
  dataDir: string;
  host: string;
  port: number;
  password: string;
  citus: boolean;
  /** RPO 0: commits wait until the node's WAL receiver (the backup process) has flushed them. */
  walSync?: boolean;
  binaries: PostgresBinaries;
  runAs: RunAs | null;
  /** libpq password file the node uses for its own outgoing connections (Citus coordinator ↔ workers). */
  passFile: string;
}

export class DataDirectoryError extends Error {
  override name = 'DataDirectoryError';
}

/** Initialises the data directory if needed, rewrites DistRAG's settings, and returns how to run it. */
export function preparePostgresNode(options: PostgresNodeOptions): ProcessSpec {
  const { dataDir, binaries } = options;
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const version = Number(fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim());
    if (version !== binaries.major) {
      throw new DataDirectoryError(
        `${dataDir} holds PostgreSQL ${version} data but the installed server is ${binaries.major}; point DISTRAG_PG_BIN at PostgreSQL ${version} binaries, or move ${path.dirname(dataDir)} away to start fresh`,
      );
    }
  } else {
    initdb(options);
  }
  fs.writeFileSync(path.join(dataDir, 'distrag.conf'), renderNodeConf(options));
  fs.copyFileSync(path.join(schemaDir, 'postgres', 'pg_hba.conf'), path.join(dataDir, 'pg_hba.conf'));
  const mainConf = path.join(dataDir, 'postgresql.conf');
  if (!fs.readFileSync(mainConf, 'utf8').includes("include 'distrag.conf'")) fs.appendFileSync(mainConf, "\ninclude 'distrag.conf'\n");
  chownTree(dataDir, options.runAs);
  fs.chmodSync(dataDir, 0o700);
  return {
    name: options.name,
    command: path.join(binaries.binDir, 'postgres'),
    args: ['-D', dataDir],
    env: { PGPASSFILE: options.passFile, LC_ALL: 'C' },
    host: options.host,
    port: options.port,
    health: { kind: 'postgres', url: adminUrl(options, 'postgres') },
    runAs: options.runAs,
    stopSignal: 'SIGINT',
    startTimeoutMs: 60_000,
    stopTimeoutMs: 60_000,
  };
}

export function adminUrl(node: { host: string; port: number; password: string }, database = DATABASE_NAME): string {
  return `postgresql://${ADMIN_USER}:${encodeURIComponent(node.password)}@${node.host}:${node.port}/${database}`;
}

/** Fills the one node template (schema/postgres/node.conf.template). */
export function renderNodeConf(options: Pick<PostgresNodeOptions, 'host' | 'port' | 'citus' | 'walSync'>): string {
  const template = fs.readFileSync(path.join(schemaDir, 'postgres', 'node.conf.template'), 'utf8');
  return template
    .replaceAll('{{HOST}}', options.host)
    .replaceAll('{{PORT}}', String(options.port))
    .replaceAll('{{WAL_RECEIVER}}', WAL_RECEIVER_APPLICATION)
    .split('\n')
    .map((line) => {
      if (line.startsWith('#citus ')) return options.citus ? line.slice('#citus '.length) : '';
      if (line.startsWith('#single ')) return options.citus ? '' : line.slice('#single '.length);
      if (line.startsWith('#sync ')) return options.walSync ? line.slice('#sync '.length) : '';
      return line;
    })
    .join('\n');
}

function initdb(options: PostgresNodeOptions): void {
  fs.mkdirSync(path.dirname(options.dataDir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(options.dataDir, { mode: 0o700 });
  const pwfile = path.join(path.dirname(options.dataDir), `.${options.name}.pw`);
  fs.writeFileSync(pwfile, options.password, { mode: 0o600 });
  chownTree(options.dataDir, options.runAs);
  if (options.runAs) fs.chownSync(pwfile, options.runAs.uid, options.runAs.gid);
  try {
    execFileSync(
      path.join(options.binaries.binDir, 'initdb'),
      ['-D', options.dataDir, '-U', ADMIN_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--data-checksums'],
      { stdio: 'pipe', ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}) },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-2).join(' ') ?? '';
    throw new DataDirectoryError(`initdb failed for ${options.name} in ${options.dataDir}: ${stderr}`, { cause: error });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}
