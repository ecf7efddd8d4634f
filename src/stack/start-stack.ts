import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { requirement } from '../../scripts/system-requirements.mjs';
import { IDENTITY_HEADER, signForwardedIdentity } from '../auth/forwarded-identity.js';
import { CREDENTIAL_SETTINGS, type Config } from '../config/config.js';
import { formatNodeList } from '../config/node-list.js';
import { readWorkerReachability } from '../db/bootstrap/check-citus-nodes.js';
import type { ClusterMode } from '../db/bootstrap/migrations.js';
import { projectRoot } from '../paths.js';
import { isPortFree } from './port-check.js';
import { findPostgresBinaries } from './postgres-binaries.js';
import { adminUrl, preparePostgresNode } from './postgres-node.js';
import { ProcessManager, type ProcessSpec } from './process-manager.js';
import { loadOrCreateSecrets } from './secrets.js';
import { modelDirForServices } from './service-model-dir.js';
import { reachableByOthers, resolveServiceUser, type RunAs } from './service-user.js';
import { chromaSpec } from './services/chroma-service.js';
import { nginxSpec } from './services/nginx-service.js';
import { nodeServiceSpec } from './services/node-service.js';
import { redisSpec } from './services/redis-service.js';
import { serviceCredentials, type ServiceKind } from './service-credentials.js';
import { ADDED_WORKER_MARK, LAYOUT_VERSION, stackLayout, type StackLayout } from './stack-layout.js';
import { writeStackInfo, type StackInfo } from './stack-info.js';
import { consoleUrl } from './console-link.js';

export interface StartOptions {
  config: Config;
  workers: number;
  gateways: number;
  report: (line: string) => void;
  /** Aborting (Ctrl-C during start) stops what was started and rejects. */
  signal?: AbortSignal;
}

export class StackError extends Error {
  override name = 'StackError';
}

const SUBGRAPHS = [
  { name: 'data', portKey: 'DISTRAG_DATA_PORT' },
  { name: 'rag', portKey: 'DISTRAG_RAG_PORT' },
  { name: 'cache', portKey: 'DISTRAG_CACHE_PORT' },
  { name: 'cluster', portKey: 'DISTRAG_CLUSTER_PORT' },
] as const;

/**
 * `distrag up`: PostgreSQL (coordinator + workers under Citus), schema and demo data, Redis, Chroma,
 * the four subgraphs, the gateways and NGINX, each started only after the previous is healthy.
 * On any failure everything started is stopped again and a StackError says what to do.
 */
export async function startStack(options: StartOptions): Promise<StackInfo> {
  const { config, report } = options;
  const layout = stackLayout(config.home);
  fs.mkdirSync(layout.runDir, { recursive: true });
  const manager = new ProcessManager(layout.processesFile, layout.logDir, report);
  const running = manager.running();
  if (running.length > 0) {
    throw new StackError(`DistRAG is already running from ${config.home} (${running.map((p) => `${p.name} pid ${p.pid}`).join(', ')}); run \`npx distrag down\` first`);
  }
  if (manager.clearStale()) report('removed a stale pid file left by an earlier run');

  const binaries = findPostgresBinaries(config);
  if (config.DISTRAG_CITUS === 'on' && !binaries.citusAvailable) throw new StackError('DISTRAG_CITUS=on but the citus extension is not installed for PostgreSQL ' + binaries.major);
  const mode: ClusterMode = binaries.citusAvailable && config.DISTRAG_CITUS !== 'off' ? 'CITUS' : 'SINGLE';
  const firstRun = checkLayoutVersion(layout, mode);
  const runAs = prepareHome(layout, config.DISTRAG_SERVICE_USER);
  const secrets = loadOrCreateSecrets(layout.secretsFile, config);
  const host = config.DISTRAG_HOST;
  const workers = mode === 'CITUS' ? options.workers : 0;
  const configured = Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, port: config.DISTRAG_WORKER_PORT_BASE + i }));
  const pgNodes = [
    { name: 'coordinator', port: config.DISTRAG_PG_PORT },
    ...configured,
    // Workers added later (addNode with start) are members too: they start again with the rest.
    ...(mode === 'CITUS' ? addedWorkers(layout, configured.map((w) => w.name)) : []),
  ];
  const gatewayPorts = Array.from({ length: options.gateways }, (_, i) => (i === 0 ? config.DISTRAG_GATEWAY_PORT : config.DISTRAG_GATEWAY_PORT + 9 + i));
  await assertPortsFree(host, [
    ...pgNodes.map((n) => ({ name: `PostgreSQL ${n.name}`, port: n.port, env: n.name === 'coordinator' ? 'DISTRAG_PG_PORT' : 'DISTRAG_WORKER_PORT_BASE' })),
    { name: 'Redis', port: config.DISTRAG_REDIS_PORT, env: 'DISTRAG_REDIS_PORT' },
    { name: 'Chroma', port: config.DISTRAG_CHROMA_PORT, env: 'DISTRAG_CHROMA_PORT' },
    { name: 'change feed', port: config.DISTRAG_FEED_PORT, env: 'DISTRAG_FEED_PORT' },
    { name: 'backup', port: config.DISTRAG_BACKUP_PORT, env: 'DISTRAG_BACKUP_PORT' },
    ...(config.DISTRAG_RECOVERY ? [{ name: 'recovery', port: config.DISTRAG_RECOVERY_PORT, env: 'DISTRAG_RECOVERY_PORT' }] : []),
    ...SUBGRAPHS.map((s) => ({ name: `subgraph ${s.name}`, port: config[s.portKey], env: s.portKey })),
    ...gatewayPorts.map((port) => ({ name: 'gateway', port, env: 'DISTRAG_GATEWAY_PORT' })),
    { name: 'NGINX', port: config.DISTRAG_NGINX_PORT, env: 'DISTRAG_NGINX_PORT' },
  ]);

  const step = async (spec: ProcessSpec | null) => {
    if (options.signal?.aborted) throw new StackError('start interrupted');
    return spec ? manager.start(spec) : null;
  };
  try {
    report(`mode ${mode}: starting PostgreSQL (${pgNodes.map((n) => n.name).join(', ')})`);
    fs.writeFileSync(layout.passFile, `${host}:*:*:distrag_admin:${secrets.pgPassword}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(layout.passFile, runAs.uid, runAs.gid);
    for (const node of [...pgNodes].reverse()) {
      await step(preparePostgresNode({ name: `postgres-${node.name}`, dataDir: layout.pgDir(node.name), host, port: node.port, password: secrets.pgPassword, citus: mode === 'CITUS', walSync: config.DISTRAG_BACKUP_SYNC, binaries, runAs, passFile: layout.passFile }));
    }
    const coordinatorUrl = adminUrl({ host, port: config.DISTRAG_PG_PORT, password: secrets.pgPassword });
    const commonEnv = {
      // The configuration `up` runs with reaches every service it starts (settings given to a
      // private stack in tests and benchmarks too, not only those of the shell) — credentials
      // excepted: each service gets only its own (serviceCredentials).
      ...configEnv(config),
      DISTRAG_REDIS_URL: `redis://${host}:${config.DISTRAG_REDIS_PORT}`,
      DISTRAG_CHROMA_URL: `http://${host}:${config.DISTRAG_CHROMA_PORT}`,
      DISTRAG_HOME: config.home,
      DISTRAG_PG_BIN: binaries.binDir,
      DISTRAG_OPS_URL: `http://${host}:${config.DISTRAG_RECOVERY_PORT}`,
      DISTRAG_BACKUP_URL: `http://${host}:${config.DISTRAG_BACKUP_PORT}`,
    };
    const nodeList = formatNodeList(pgNodes.map((n) => ({ ...n, host })));
    // The backup process streams every node's WAL before anything is written: with synchronous
    // commit (RPO 0) a node's commits wait for its receiver. It is an operations tool and, like
    // the CLI, holds the admin credentials (and runs as the CLI's user, which owns the backups).
    const backupSpec = nodeServiceSpec({
      name: 'backup', cli: ['backup', '--watch'], host, port: config.DISTRAG_BACKUP_PORT, runAs: null, home: layout.runDir,
      env: { ...commonEnv, ...serviceCredentials('backup', secrets, coordinatorUrl, config), DISTRAG_BACKUP_NODES: nodeList },
    });
    // Alive is enough to go on: its readiness (every node's WAL streaming) waits for every node,
    // and a node that does not answer is for the bootstrap below to report, in its own words.
    await step({ ...backupSpec, health: { kind: 'http', url: `http://${host}:${config.DISTRAG_BACKUP_PORT}/healthz` } });
    // The init step compose and Kubernetes run too: `distrag migrate`.
    const seedScale = firstRun ? config.DISTRAG_SEED_SCALE : 0;
    await manager.runToCompletion({
      name: 'migrate',
      command: process.execPath,
      args: [path.join(projectRoot, 'bin', 'distrag.js'), 'migrate', ...(seedScale > 0 ? ['--seed', String(seedScale)] : [])],
      cwd: projectRoot,
      env: {
        ...commonEnv,
        DISTRAG_DATABASE_URL: coordinatorUrl,
        DISTRAG_CLUSTER_NODES: nodeList,
        DISTRAG_CITUS: mode === 'CITUS' ? 'on' : 'off',
      },
      runAs: null,
    }, options.signal);

    await step(redisSpec({ dir: layout.redisDir, host, port: config.DISTRAG_REDIS_PORT, runAs, lookup: config }));
    await step(chromaSpec({ dir: layout.chromaDir, host, port: config.DISTRAG_CHROMA_PORT, runAs }));
    const nodeRunAs = runAs && reachableByOthers(projectRoot) ? runAs : null;
    if (runAs && !nodeRunAs) report(`warning: ${projectRoot} is not readable by user ${runAs.user}; the Node services run as root`);
    // Resolved here: a service's HOME is its run directory, not the user's.
    const serviceModelDir = modelDirForServices(config.embedModelDir, config.home, nodeRunAs !== null);
    const envFor = (kind: ServiceKind) => ({ ...commonEnv, DISTRAG_EMBED_MODEL_DIR: serviceModelDir, ...serviceCredentials(kind, secrets, coordinatorUrl, config) });
    await step(nodeServiceSpec({ name: 'change-feed', cli: ['serve', 'feed'], host, port: config.DISTRAG_FEED_PORT, env: envFor('feed'), runAs: nodeRunAs, home: layout.runDir }));
    for (const subgraph of SUBGRAPHS) {
      await step(nodeServiceSpec({ name: `subgraph-${subgraph.name}`, cli: ['serve', subgraph.name], host, port: config[subgraph.portKey], env: envFor(subgraph.name), runAs: nodeRunAs, home: layout.runDir }));
    }
    const subgraphList = SUBGRAPHS.map((s) => `${s.name}=http://${host}:${config[s.portKey]}/graphql`).join(',');
    for (const [i, port] of gatewayPorts.entries()) {
      await step(nodeServiceSpec({ name: i === 0 ? 'gateway' : `gateway-${i + 1}`, cli: ['serve', 'gateway'], host, port, env: { ...envFor('gateway'), DISTRAG_SUBGRAPHS: subgraphList }, runAs: nodeRunAs, home: layout.runDir }));
    }
    const nginx = await step(nginxSpec({ dir: layout.nginxDir, host, port: config.DISTRAG_NGINX_PORT, gateways: gatewayPorts.map((port) => ({ host, port })), runAs, lookup: config }));
    if (!nginx) report(`warning: nginx is not installed: ${requirement('nginx').without}`);

    if (config.DISTRAG_RECOVERY) {
      await step(nodeServiceSpec({ name: 'recovery', cli: ['recover', '--watch'], host, port: config.DISTRAG_RECOVERY_PORT, env: envFor('recovery'), runAs: null, home: layout.runDir }));
    }
    if (config.DISTRAG_READY_NEEDS_BACKUP && config.DISTRAG_BACKUP_SCHEDULED) await waitForFirstBackups(`http://${host}:${config.DISTRAG_BACKUP_PORT}`, secrets.internalSecret, report, options.signal);

    const graphqlUrl = `http://${host}:${config.DISTRAG_GATEWAY_PORT}/graphql`;
    const nginxUrl = nginx ? `http://${host}:${config.DISTRAG_NGINX_PORT}/graphql` : null;
    const info: StackInfo = {
      mode,
      nodes: await checkNodes(mode, host, pgNodes, coordinatorUrl),
      urls: {
        graphql: graphqlUrl,
        nginx: nginxUrl,
        console: consoleUrl({ graphql: graphqlUrl, nginx: nginxUrl }),
        postgres: coordinatorUrl,
        redis: commonEnv.DISTRAG_REDIS_URL,
        chroma: commonEnv.DISTRAG_CHROMA_URL,
      },
    };
    writeStackInfo(layout.stackFile, info);
    return info;
  } catch (error) {
    report(`start failed; stopping what was started`);
    await manager.stopAll();
    if (error instanceof StackError) throw error;
    throw new StackError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

const FIRST_BACKUP_TIMEOUT_MS = 10 * 60_000;

/** DISTRAG_READY_NEEDS_BACKUP: `up` is ready once every node has a verified base backup (the backup process says so). */
async function waitForFirstBackups(backupUrl: string, internalSecret: string, report: (line: string) => void, signal: AbortSignal | undefined): Promise<void> {
  report('waiting for a verified base backup of every node (DISTRAG_READY_NEEDS_BACKUP=false skips this)');
  const deadline = Date.now() + FIRST_BACKUP_TIMEOUT_MS;
  let last = '';
  for (;;) {
    if (signal?.aborted) throw new StackError('start interrupted');
    const header = signForwardedIdentity(internalSecret, { sub: 'distrag-up', role: 'admin', tenant: null }).value;
    const status = await fetch(`${backupUrl}/status`, { headers: { [IDENTITY_HEADER]: header }, signal: AbortSignal.timeout(5_000) })
      .then((r) => r.json() as Promise<{ ready: string | null; nodes: Array<{ node: string; lastError: string | null }> }>)
      .catch(() => null);
    if (status && status.ready === null) return;
    const why = status?.ready ?? 'the backup process does not answer';
    if (why !== last) report(why);
    last = why;
    if (Date.now() > deadline) throw new StackError(`no verified base backup of every node after ${FIRST_BACKUP_TIMEOUT_MS / 60_000} min (${why}); see the backup log, or set DISTRAG_READY_NEEDS_BACKUP=false`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Each PostgreSQL node and whether it answers (workers: as the coordinator reaches them). */
async function checkNodes(mode: ClusterMode, host: string, pgNodes: Array<{ name: string; port: number }>, coordinatorUrl: string): Promise<StackInfo['nodes']> {
  const reachable = new Map<number, boolean>();
  if (mode === 'CITUS') {
    const client = new pg.Client({ connectionString: coordinatorUrl });
    await client.connect();
    try {
      for (const row of await readWorkerReachability(client)) reachable.set(row.nodeport, row.reachable);
    } finally {
      await client.end();
    }
  }
  return pgNodes.map((node, i) => ({
    name: node.name,
    host,
    port: node.port,
    role: i === 0 ? 'coordinator' : 'worker',
    healthy: i === 0 ? true : reachable.get(node.port) === true,
  }));
}

/** The DISTRAG_* settings of a parsed configuration, as environment variables again, credentials left out. */
function configEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith('DISTRAG_') && !CREDENTIAL_SETTINGS.has(key) && value !== undefined && value !== null && typeof value !== 'object') env[key] = String(value);
  }
  return env;
}

/**
 * Worker data directories beyond the configured ones that addNode made (marked so): started with
 * the others, on the port their settings name. A worker `up` made itself and `--workers` now leaves
 * out is not: the bootstrap then says it does not answer and what to do.
 */
function addedWorkers(layout: StackLayout, configured: string[]): Array<{ name: string; port: number }> {
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(layout.pgDir('x')));
  } catch {
    return [];
  }
  return names
    .filter((name) => /^worker-\d+$/.test(name) && !configured.includes(name) && fs.existsSync(path.join(layout.pgDir(name), ADDED_WORKER_MARK)))
    .flatMap((name) => {
      const port = /^port = (\d+)$/m.exec(readOr(path.join(layout.pgDir(name), 'distrag.conf')))?.[1];
      return port ? [{ name, port: Number(port) }] : [];
    })
    .sort((a, b) => Number(a.name.slice(7)) - Number(b.name.slice(7)));
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Returns true on the first run in this home; refuses a home written by another layout or mode. */
function checkLayoutVersion(layout: StackLayout, mode: ClusterMode): boolean {
  if (!fs.existsSync(layout.versionFile)) {
    if (fs.existsSync(layout.pgDir('coordinator'))) {
      throw new StackError(`${layout.home} has data but no VERSION file: it was not written by this DistRAG; move it away or set DISTRAG_HOME`);
    }
    fs.writeFileSync(layout.versionFile, JSON.stringify({ layout: LAYOUT_VERSION, mode }) + '\n');
    return true;
  }
  const stored = JSON.parse(fs.readFileSync(layout.versionFile, 'utf8')) as { layout?: number; mode?: string };
  if (stored.layout !== LAYOUT_VERSION) {
    throw new StackError(`${layout.home} was written by another DistRAG version (layout ${stored.layout}, this one reads ${LAYOUT_VERSION}); move it away or set DISTRAG_HOME to a new directory`);
  }
  if (stored.mode !== mode) {
    throw new StackError(`${layout.home} holds a ${stored.mode} cluster but this start would be ${mode}; set DISTRAG_CITUS=${stored.mode === 'SINGLE' ? 'off' : 'on'} or use another DISTRAG_HOME`);
  }
  return false;
}

function prepareHome(layout: StackLayout, serviceUser: string): RunAs | null {
  for (const dir of [layout.home, layout.logDir, layout.runDir]) fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(layout.home, 0o755);
  const runAs = resolveServiceUser(serviceUser);
  if (runAs && !reachableByOthers(layout.home)) {
    throw new StackError(`the servers run as user ${runAs.user}, which cannot reach ${layout.home}; set DISTRAG_HOME to a directory it can reach (e.g. /var/lib/distrag) or allow o+x on its parents`);
  }
  if (runAs) fs.chownSync(layout.runDir, runAs.uid, runAs.gid);
  return runAs;
}

async function assertPortsFree(host: string, ports: Array<{ name: string; port: number; env: string }>): Promise<void> {
  const seen = new Map<number, string>();
  for (const { name, port, env } of ports) {
    const clash = seen.get(port);
    if (clash) throw new StackError(`${name} and ${clash} are both configured on port ${port}; change ${env}`);
    seen.set(port, name);
    if (!(await isPortFree(port, host))) throw new StackError(`port ${port} (${name}) is already in use by another process; stop it or set ${env}`);
  }
}
