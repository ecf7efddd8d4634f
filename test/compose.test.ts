import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { parseDocument } from 'yaml';
import { WAL_RECEIVER_APPLICATION } from '../src/backup/wal-receiver.js';
import { checkCliInvocation } from '../src/cli/check-invocation.js';
import { passwordVariable } from '../src/cli/commands/db-credentials.js';
import { COMPOSE_NGINX } from '../src/cli/commands/nginx-conf.js';
import { loadConfig } from '../src/config/config.js';
import { ALL_SERVICE_DB_ROLES, API_DB_ROLES, rolePassword, SERVICE_DB_ROLES } from '../src/db/api-roles.js';
import { composeWatch, DOCKER_SOCKET, NODE_VOLUMES_ROOT, PGDATA_DIRNAME, UNWATCHED_COMPOSE_SERVICES } from '../src/recovery/docker-runtime.js';
import { renderNginxConf } from '../src/stack/nginx-conf.js';
import { ProcessManager } from '../src/stack/process-manager.js';
import { stackLayout } from '../src/stack/stack-layout.js';

/**
 * Static checks of compose.yaml and docker/ (no Docker engine needed): the file parses, references
 * resolve, every mounted or built file exists, Node services are configured the way
 * src/config/config.ts accepts, and the NGINX / PostgreSQL settings the contract relies on are set.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (relative: string) => fs.readFileSync(path.join(root, relative), 'utf8');

interface Healthcheck { test?: string[] | string; disable?: boolean }
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  entrypoint?: string[] | string;
  command?: string[] | string;
  user?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | { target?: number }>;
  healthcheck?: Healthcheck;
  restart?: string;
  init?: boolean;
  profiles?: string[];
  deploy?: { replicas?: number };
  networks?: string[] | Record<string, unknown>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
}

const composeText = read('compose.yaml');
// Compose merges `<<: *anchor` keys (YAML 1.1 merge keys); the yaml package does when asked.
const composeDoc = parseDocument(composeText, { merge: true });
const compose = composeDoc.toJS({ maxAliasCount: -1 }) as ComposeFile;
const services = compose.services;

/** Fills `${VAR}`, `${VAR:-default}` and `${VAR:?message}` the way Compose does, from `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g, (_m, name: string, op: string | undefined, arg: string | undefined) => {
    const v = vars[name];
    if (v !== undefined && v !== '') return v;
    if (op === '?') throw new Error(`required variable ${name} is not set: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const fakeSecrets = {
  DISTRAG_JWT_SECRET: 'j'.repeat(40),
  DISTRAG_INTERNAL_SECRET: 'i'.repeat(40),
  DISTRAG_PG_PASSWORD: 'p'.repeat(24),
  DISTRAG_PGADMIN_PASSWORD: 'a'.repeat(12),
  // What `npx distrag db-credentials` prints for DISTRAG_PG_PASSWORD above.
  ...Object.fromEntries(ALL_SERVICE_DB_ROLES.map((role) => [passwordVariable(role), rolePassword('p'.repeat(24), role)])),
};

function envOf(service: Service, vars: Record<string, string> = fakeSecrets): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)] as const);
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, vars)]));
}

/** Published ports as `host:container` (interpolated, without a host address). */
const published = (s: Service): string[] =>
  (s.ports ?? []).map((p) => interpolate(String(p), fakeSecrets).split(':').slice(-2).join(':'));

const list = (value: string[] | string | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const dependsOn = (s: Service): Record<string, { condition?: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : (s.depends_on ?? {});

/** Every mount as source (named volume, or host path), container path and whether it is read-only. */
function mounts(s: Service): Array<{ source: string; target: string; readOnly: boolean }> {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target ?? '', readOnly: (v as { read_only?: boolean }).read_only === true };
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

/** Bind mounts as [host path relative to the repo, container path]. */
function bindMounts(s: Service): Array<[string, string]> {
  return (s.volumes ?? []).flatMap((v): Array<[string, string]> => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return source.startsWith('./') || source.startsWith('/') ? [[source, target]] : [];
    }
    return v.type === 'bind' && v.source && v.target ? [[v.source, v.target]] : [];
  });
}
const namedVolumes = (s: Service): string[] =>
  (s.volumes ?? []).flatMap((v) => {
    const source = typeof v === 'string' ? (v.includes(':') ? v.split(':')[0]! : '') : v.type === 'volume' ? (v.source ?? '') : '';
    return source && !source.startsWith('.') && !source.startsWith('/') ? [source] : [];
  });

function dockerfileOf(s: Service): string | null {
  if (s.build === undefined) return null;
  const context = typeof s.build === 'string' ? s.build : (s.build.context ?? '.');
  const dockerfile = typeof s.build === 'string' ? 'Dockerfile' : (s.build.dockerfile ?? 'Dockerfile');
  return path.join(context, dockerfile);
}

/** Services built from docker/Dockerfile: the gateway, subgraphs and ops services. */
const nodeServices = Object.entries(services).filter(([, s]) => dockerfileOf(s) === path.join('.', 'docker/Dockerfile'));
const defaultServices = Object.entries(services).filter(([, s]) => !s.profiles?.length);
const citusNodes = ['coordinator', 'worker1', 'worker2'] as const;
/** One-shot jobs: run to their end (`restart: "no"`), waited for with service_completed_successfully. */
const oneShot = (s: Service) => s.restart === 'no';
const subgraphNames = ['data', 'rag', 'cache', 'cluster'] as const;

describe('compose.yaml', () => {
  it('parses as YAML without errors or warnings', () => {
    expect(composeDoc.errors.map((e) => e.message)).toEqual([]);
    expect(composeDoc.warnings.map((e) => e.message)).toEqual([]);
    expect(typeof services).toBe('object');
  });

  it('has every part of the contract (section 3)', () => {
    for (const name of [...citusNodes, 'init', 'redis', 'chroma', 'feed', ...subgraphNames, 'gateway', 'nginx', 'backup', 'recovery', 'pgadmin']) {
      expect(services, `service ${name}`).toHaveProperty(name);
    }
    const gatewayReplicas = services.gateway
      ? (services.gateway.deploy?.replicas ?? 1)
      : Object.keys(services).filter((n) => /^gateway-\d+$/.test(n)).length;
    expect(gatewayReplicas).toBe(3);
  });

  it('runs Citus 13 on the coordinator and both workers', () => {
    for (const name of citusNodes) expect(services[name]!.image).toMatch(/^citusdata\/citus:13(\.|$)/);
  });

  it('depends only on services that exist, are started with it, and have a healthcheck when waited on', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(dependsOn(s))) {
        expect(services, `${name} depends on ${target}`).toHaveProperty(target);
        if (!s.profiles?.length) expect(services[target]!.profiles ?? [], `${name} (default profile) depends on profile-only ${target}`).toEqual([]);
        if (condition === 'service_healthy') expect(services[target]!.healthcheck?.test, `${target} healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(oneShot(services[target]!), `${name} waits for ${target} to end, which is no one-shot job`).toBe(true);
      }
    }
  });

  it('runs the init job (migrate) before every DistRAG service but the backup it needs, and after every node is up', () => {
    const init = services.init!;
    expect(oneShot(init)).toBe(true);
    const [command, ...args] = list(init.command);
    expect(command).toBe('migrate');
    expect(checkCliInvocation([command!, ...args.map((a) => interpolate(a, fakeSecrets))])).toBeNull();
    const deps = dependsOn(init);
    for (const name of [...citusNodes, 'backup']) expect(deps[name]?.condition, `init waits for ${name}`).toBe('service_healthy');
    /** Whether `name` starts only after init ended, directly or through what it waits for. */
    const waitsForInit = (name: string, seen = new Set<string>()): boolean =>
      Object.entries(dependsOn(services[name]!)).some(([dep, { condition }]) =>
        (dep === 'init' && condition === 'service_completed_successfully') || (!seen.has(dep) && seen.add(dep) && waitsForInit(dep, seen)));
    for (const [name] of nodeServices) {
      if (name === 'init' || name === 'backup') continue;
      expect(waitsForInit(name), `${name} starts before the migrations ran`).toBe(true);
    }
    for (const name of ['feed', ...subgraphNames, 'gateway']) expect(dependsOn(services[name]!).init?.condition, name).toBe('service_completed_successfully');
    // The cluster the init job makes is the one the backup service streams, coordinator first.
    const initEnv = envOf(init);
    expect(initEnv.DISTRAG_CLUSTER_NODES).toBe(envOf(services.backup!).DISTRAG_BACKUP_NODES);
    expect(loadConfig(initEnv).DISTRAG_CLUSTER_NODES?.map((n) => n.host)).toEqual([...citusNodes]);
    expect(initEnv.DISTRAG_CITUS).toBe('on');
    expect(new URL(initEnv.DISTRAG_DATABASE_URL!).username).toBe('distrag_admin');
    // Only the init job joins the nodes: no first-run SQL of the image does.
    for (const name of citusNodes) {
      expect(bindMounts(services[name]!).filter(([, target]) => target.endsWith('.sql')), name).toEqual([]);
    }
  });

  it('builds from Dockerfiles and bind-mounts files that exist', () => {
    expect(nodeServices.length).toBeGreaterThanOrEqual(7);
    for (const [name, s] of Object.entries(services)) {
      const dockerfile = dockerfileOf(s);
      if (dockerfile) expect(fs.existsSync(path.join(root, dockerfile)), `${name}: ${dockerfile}`).toBe(true);
      for (const [source] of bindMounts(s)) {
        if (source === DOCKER_SOCKET) continue;
        expect(source.startsWith('./docker/'), `${name}: bind mounts come from ./docker/ (${source})`).toBe(true);
        expect(fs.statSync(path.join(root, source)).isFile(), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('declares every named volume and network it uses', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of namedVolumes(s)) expect(compose.volumes ?? {}, `${name}: volume ${volume}`).toHaveProperty(volume);
      const networks = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
      for (const network of networks) expect(compose.networks ?? {}, `${name}: network ${network}`).toHaveProperty(network);
    }
  });

  it('gives every service a healthcheck, and every Node service one on its own /healthz', () => {
    for (const [name, s] of Object.entries(services)) {
      if (oneShot(s)) continue;
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(list(s.healthcheck?.test).length, `${name} healthcheck`).toBeGreaterThan(0);
    }
    for (const [name, s] of nodeServices) {
      if (oneShot(s)) continue;
      const port = envOf(s).DISTRAG_SERVICE_PORT;
      expect(port, `${name} DISTRAG_SERVICE_PORT`).toMatch(/^\d+$/);
      expect(list(s.healthcheck?.test).join(' '), name).toContain(`:${port}/healthz`);
    }
  });

  it('builds the web console into the image, with the benchmark results its Benchmarks panel shows', () => {
    const dockerfile = read('docker/Dockerfile');
    // `npm run build` builds the console (vite) into dist/console; dist/ is copied whole.
    expect(JSON.parse(read('package.json')).scripts.build).toMatch(/npm run build:console$/);
    expect(dockerfile).toMatch(/^RUN npm run build && /m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/bench\/results \.\/bench\/results$/m);
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).not.toContain('bench/results');
    expect(ignored).not.toContain('gateway');
  });

  it('runs a distrag CLI command in every DistRAG container, the image\'s entrypoint being the CLI', () => {
    expect(read('docker/Dockerfile')).toMatch(/^ENTRYPOINT \["node", "--enable-source-maps", "\/app\/bin\/distrag\.js"\]$/m);
    for (const [name, s] of nodeServices) {
      const command = list(s.command).map((a) => interpolate(a, fakeSecrets));
      expect(s.entrypoint, `${name} keeps the image's entrypoint`).toBeUndefined();
      expect(checkCliInvocation(command), `${name}: distrag ${command.join(' ')}`).toBeNull();
    }
    for (const name of ['feed', ...subgraphNames, 'gateway']) expect(list(services[name]!.command), name).toEqual(['serve', name]);
  });

  it('runs the very commands the native stack (`distrag up`) runs', () => {
    // The shared test stack of this run (test/support/global-stack.ts), started by `up`'s code.
    const layout = stackLayout(inject('stack').home);
    const native = new ProcessManager(layout.processesFile, layout.logDir).list()
      .map((p) => p.spec?.args ?? [])
      .filter((args) => args.some((a) => a.endsWith('/bin/distrag.js')))
      .map((args) => args.slice(args.findIndex((a) => a.endsWith('/bin/distrag.js')) + 1).join(' '));
    for (const [name, s] of nodeServices) {
      if (oneShot(s)) continue;
      expect(native, `${name}: distrag ${list(s.command).join(' ')}`).toContain(list(s.command).join(' '));
    }
    // The one-shot `migrate` leaves its log behind.
    expect(fs.readFileSync(path.join(layout.logDir, 'migrate.log'), 'utf8')).toMatch(/distrag migrate: mode (SINGLE|CITUS)/);
  });

  it('configures every Node service the way src/config/config.ts accepts', () => {
    for (const [name, s] of nodeServices) {
      const env = envOf(s);
      expect(() => loadConfig(env), name).not.toThrow();
      expect(env.DISTRAG_HOST, `${name} binds every interface in its container`).toBe('0.0.0.0');
      expect(env.DISTRAG_INTERNAL_SECRET, name).toBe(fakeSecrets.DISTRAG_INTERNAL_SECRET);
    }
    const gatewayEnv = envOf(services.gateway ?? services['gateway-1']!);
    expect(gatewayEnv.DISTRAG_JWT_SECRET).toBe(fakeSecrets.DISTRAG_JWT_SECRET);
  });

  it('gives each service only the credentials it uses, never the admin password but to the operations tools', () => {
    const credentialKeys = (name: string) => Object.keys(envOf(services[name]!)).filter((k) => /_DATABASE_URL$|_SECRET$|PASSWORD/.test(k)).sort();
    expect(credentialKeys('gateway')).toEqual(['DISTRAG_INTERNAL_SECRET', 'DISTRAG_JWT_SECRET']);
    expect(credentialKeys('data')).toEqual(['DISTRAG_CATALOG_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET', 'DISTRAG_OPERATOR_DATABASE_URL', 'DISTRAG_READER_DATABASE_URL', 'DISTRAG_WRITER_DATABASE_URL']);
    expect(credentialKeys('cluster')).toEqual(['DISTRAG_CATALOG_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    expect(credentialKeys('feed')).toEqual(['DISTRAG_FEED_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    expect(credentialKeys('rag')).toEqual(['DISTRAG_ASK_ALL_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET', 'DISTRAG_RAG_DATABASE_URL']);
    expect(credentialKeys('cache')).toEqual(['DISTRAG_INTERNAL_SECRET']);
    for (const name of ['init', 'backup', 'recovery']) expect(credentialKeys(name)).toEqual(['DISTRAG_DATABASE_URL', 'DISTRAG_INTERNAL_SECRET']);
    for (const [name, s] of nodeServices) {
      if (name === 'init' || name === 'backup' || name === 'recovery') continue;
      expect(Object.values(envOf(s)).join('\n').includes(fakeSecrets.DISTRAG_PG_PASSWORD), `${name} holds the admin password`).toBe(false);
    }
    const roleOf = (name: string, key: string) => {
      const url = new URL(envOf(services[name]!)[key]!);
      expect(url.hostname, `${name} ${key}`).toBe('coordinator');
      expect(url.password, `${name} ${key}`).toBe(rolePassword(fakeSecrets.DISTRAG_PG_PASSWORD, url.username));
      return url.username;
    };
    expect(roleOf('data', 'DISTRAG_READER_DATABASE_URL')).toBe(API_DB_ROLES.reader);
    expect(roleOf('data', 'DISTRAG_WRITER_DATABASE_URL')).toBe(API_DB_ROLES.writer);
    expect(roleOf('data', 'DISTRAG_OPERATOR_DATABASE_URL')).toBe(API_DB_ROLES.admin);
    expect(roleOf('data', 'DISTRAG_CATALOG_DATABASE_URL')).toBe(SERVICE_DB_ROLES.catalog);
    expect(roleOf('cluster', 'DISTRAG_CATALOG_DATABASE_URL')).toBe(SERVICE_DB_ROLES.catalog);
    expect(roleOf('feed', 'DISTRAG_FEED_DATABASE_URL')).toBe(SERVICE_DB_ROLES.feed);
    expect(roleOf('rag', 'DISTRAG_RAG_DATABASE_URL')).toBe(SERVICE_DB_ROLES.rag);
    expect(roleOf('rag', 'DISTRAG_ASK_ALL_DATABASE_URL')).toBe(SERVICE_DB_ROLES.askAll);
  });

  it('points the gateway at each subgraph service on the port it listens on', () => {
    const gatewayEnv = envOf(services.gateway ?? services['gateway-1']!);
    const entries = gatewayEnv.DISTRAG_SUBGRAPHS!.split(',').map((e) => e.split('=') as [string, string]);
    expect(entries.map(([n]) => n).sort()).toEqual([...subgraphNames].sort());
    for (const [name, url] of entries) {
      const u = new URL(url);
      expect(u.hostname, name).toBe(name);
      expect(u.pathname, name).toBe('/graphql');
      expect(u.port, name).toBe(envOf(services[name]!).DISTRAG_SERVICE_PORT);
    }
  });

  it('takes secrets from the environment, required, never written in the file', () => {
    for (const name of ['DISTRAG_JWT_SECRET', 'DISTRAG_INTERNAL_SECRET', 'DISTRAG_PG_PASSWORD', ...ALL_SERVICE_DB_ROLES.map(passwordVariable)]) {
      expect(composeText).toContain(`\${${name}:?`);
    }
    for (const [name, s] of Object.entries(services)) {
      const raw = Array.isArray(s.environment) ? {} : (s.environment ?? {});
      for (const [key, value] of Object.entries(raw)) {
        if (/SECRET|PASSWORD/.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
      }
    }
    expect(() => envOf(services.gateway ?? services['gateway-1']!, {})).toThrow(/DISTRAG_/);
  });

  it('keeps Redis append-only and Chroma on a named volume', () => {
    expect(list(services.redis!.command).join(' ')).toMatch(/--appendonly yes/);
    expect(namedVolumes(services.redis!).length).toBe(1);
    expect(services.chroma!.image).toMatch(/^chromadb\/chroma:/);
    expect(namedVolumes(services.chroma!).length).toBe(1);
  });

  it('runs backup and recovery with every `docker compose up`, as the embedded stack does', () => {
    for (const name of ['backup', 'recovery']) {
      expect(services[name]!.profiles ?? [], name).toEqual([]);
      expect(defaultServices.map(([n]) => n)).toContain(name);
    }
  });

  it('mounts the Docker socket into the recovery service only, and lets no other service run as root', () => {
    for (const [name, s] of Object.entries(services)) {
      const socket = mounts(s).filter((m) => m.source === DOCKER_SOCKET || m.target === DOCKER_SOCKET);
      if (name === 'recovery') expect(socket, name).toEqual([{ source: DOCKER_SOCKET, target: DOCKER_SOCKET, readOnly: false }]);
      else expect(socket, `${name} holds the Docker socket`).toEqual([]);
    }
    // Node services run as the image's user (node) unless they need another one.
    const users = Object.fromEntries(nodeServices.filter(([, s]) => s.user !== undefined).map(([n, s]) => [n, s.user]));
    expect(users).toEqual({ backup: 'postgres', recovery: 'root' });
  });

  it('publishes NGINX on 8080 with docker/nginx/nginx.conf as its configuration', () => {
    const nginx = services.nginx!;
    expect(nginx.image).toMatch(/^nginx:1\.27/);
    expect(published(nginx)).toContain('8080:8080');
    expect(bindMounts(nginx)).toContainEqual(['./docker/nginx/nginx.conf', '/etc/nginx/nginx.conf']);
  });

  it('pre-registers the coordinator in pgAdmin', () => {
    const pgadmin = services.pgadmin!;
    expect(pgadmin.image).toMatch(/^dpage\/pgadmin4/);
    expect(published(pgadmin)).toContain('5050:80');
    const [source, target] = bindMounts(pgadmin).find(([src]) => src.endsWith('servers.json'))!;
    expect(envOf(pgadmin).PGADMIN_SERVER_JSON_FILE ?? '/pgadmin4/servers.json').toBe(target);
    const servers = Object.values((JSON.parse(read(source)) as { Servers: Record<string, { Host: string; Port: number }> }).Servers);
    expect(servers).toContainEqual(expect.objectContaining({ Host: 'coordinator', Port: 5432 }));
  });
});

describe('Citus nodes', () => {
  /** The PostgreSQL settings file a node's `-c config_file=` points at, read from the repo. */
  function nodeConf(name: string): string {
    const s = services[name]!;
    const arg = list(s.command).find((a) => a.startsWith('config_file='));
    expect(arg, `${name}: postgres -c config_file=…`).toBeDefined();
    const mount = bindMounts(s).find(([, target]) => target === arg!.slice('config_file='.length));
    expect(mount, `${name}: ${arg} is bind-mounted`).toBeDefined();
    return read(mount![0]);
  }
  const setting = (conf: string, key: string) =>
    conf.match(new RegExp(`^\\s*${key.replaceAll('.', '\\.')}\\s*=\\s*'?([^'#\\n]*?)'?\\s*(#.*)?$`, 'm'))?.[1];

  it('sets logical decoding, Citus and change data capture on every node', () => {
    for (const name of citusNodes) {
      const conf = nodeConf(name);
      expect(setting(conf, 'wal_level'), name).toBe('logical');
      expect(setting(conf, 'max_replication_slots'), name).toBe('20');
      expect(setting(conf, 'max_wal_senders'), name).toBe('20');
      expect(setting(conf, 'max_slot_wal_keep_size'), name).toBe('1GB');
      expect(setting(conf, 'shared_preload_libraries'), name).toMatch(/\bcitus\b/);
      expect(setting(conf, 'citus.propagate_set_commands'), name).toBe('local');
      expect(setting(conf, 'citus.enable_change_data_capture'), name).toBe('on');
      expect(setting(conf, 'listen_addresses'), name).toBe('*');
    }
  });

  it('accepts replication connections from the compose network, with a password', () => {
    for (const name of citusNodes) {
      const hbaPath = setting(nodeConf(name), 'hba_file');
      const mount = bindMounts(services[name]!).find(([, target]) => target === hbaPath);
      expect(mount, `${name}: hba_file ${hbaPath} is bind-mounted`).toBeDefined();
      const rules = read(mount![0]).split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter((r) => r[0]);
      expect(rules, name).toContainEqual(['host', 'replication', 'all', 'samenet', 'scram-sha-256']);
      expect(rules.some((r) => r[0] === 'host' && r.at(-1) === 'trust'), `${name}: no trust over the network`).toBe(false);
    }
  });

  it('authenticate the admin and node-to-node connections with the admin password, and report health with pg_isready', () => {
    for (const name of citusNodes) {
      const env = envOf(services[name]!);
      expect(env.POSTGRES_PASSWORD, name).toBe(fakeSecrets.DISTRAG_PG_PASSWORD);
      expect(env.PGPASSWORD, `${name}: node-to-node connections authenticate`).toBe(fakeSecrets.DISTRAG_PG_PASSWORD);
      expect(list(services[name]!.healthcheck?.test).join(' '), name).toContain('pg_isready');
    }
  });
});

describe('backup and recovery services', () => {
  const backup = services.backup!;
  const recovery = services.recovery!;
  const backupEnv = envOf(backup);
  const recoveryEnv = envOf(recovery);
  const defaults = loadConfig({});
  /** Each Citus node's compose service and the node name the backup and recovery processes use. */
  const nodeNames: Record<(typeof citusNodes)[number], string> = { coordinator: 'coordinator', worker1: 'worker-1', worker2: 'worker-2' };
  const confSetting = (key: string) =>
    read('docker/postgres/postgresql.conf').match(new RegExp(`^\\s*${key}\\s*=\\s*'?([^'#\\n]*?)'?\\s*(#.*)?$`, 'm'))?.[1];

  it('start with the CLI\'s watch commands', () => {
    expect(list(backup.command)).toEqual(['backup', '--watch']);
    expect(list(recovery.command)).toEqual(['recover', '--watch']);
  });

  it('set only settings that src/config/config.ts defines', () => {
    const configText = read('src/config/config.ts');
    const schemaText = configText.slice(configText.indexOf('const schema = z.object({'), configText.indexOf('\n});', configText.indexOf('const schema = z.object({')));
    const known = new Set([...schemaText.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(50);
    for (const [name, s] of nodeServices) {
      for (const key of Object.keys(envOf(s)).filter((k) => k.startsWith('DISTRAG_'))) expect(known.has(key), `${name}: ${key} is not a setting`).toBe(true);
    }
  });

  it('listen where the embedded stack has them, and are found there', () => {
    expect(Number(backupEnv.DISTRAG_SERVICE_PORT)).toBe(defaults.DISTRAG_BACKUP_PORT);
    expect(Number(recoveryEnv.DISTRAG_SERVICE_PORT)).toBe(defaults.DISTRAG_RECOVERY_PORT);
    const backupUrl = new URL(loadConfig(recoveryEnv).DISTRAG_BACKUP_URL!);
    expect([backupUrl.hostname, backupUrl.port]).toEqual(['backup', backupEnv.DISTRAG_SERVICE_PORT]);
    const opsUrl = new URL(loadConfig(envOf(services.cluster!)).DISTRAG_OPS_URL!);
    expect([opsUrl.hostname, opsUrl.port]).toEqual(['recovery', recoveryEnv.DISTRAG_SERVICE_PORT]);
    expect(loadConfig(recoveryEnv).DISTRAG_RECOVERY_RUNTIME).toBe('docker');
  });

  it('hold the admin URL of the coordinator', () => {
    for (const env of [backupEnv, recoveryEnv]) {
      const url = new URL(env.DISTRAG_DATABASE_URL!);
      expect([url.hostname, url.port, url.username, url.password]).toEqual(['coordinator', '5432', 'distrag_admin', fakeSecrets.DISTRAG_PG_PASSWORD]);
    }
  });

  it('stream every Citus node from the start, under the names the coordinator\'s metadata gives them', () => {
    const listed = backupEnv.DISTRAG_BACKUP_NODES!.split(',').map((entry) => {
      const [name, address] = entry.split('=') as [string, string];
      const [host, port] = address.split(':');
      return { name, host, port: Number(port) };
    });
    expect(listed).toEqual(citusNodes.map((service) => ({ name: nodeNames[service], host: service, port: 5432 })));
    // The metadata names workers worker-<group id>; the init job adds them in this list's order.
    expect(envOf(services.init!).DISTRAG_CLUSTER_NODES).toBe(backupEnv.DISTRAG_BACKUP_NODES);
    for (const service of citusNodes) expect(composeWatch(service, defaults)?.node, service).toBe(nodeNames[service]);
  });

  it('run PostgreSQL tools of the Citus servers\' major version', () => {
    // citusdata/docker's Dockerfile for each Citus image: FROM postgres:<major>.x.
    const citusPgMajor: Record<string, number> = { '13.2.0': 17 };
    const tag = services.coordinator!.image!.split(':')[1]!;
    const major = citusPgMajor[tag];
    expect(major, `the PostgreSQL major of citusdata/citus:${tag} (add it to this table)`).toBeDefined();
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toMatch(new RegExp(`^ARG PG_MAJOR=${major}$`, 'm'));
    expect(dockerfile).toMatch(/apt-get install [^\n]*"postgresql-\$PG_MAJOR"/);
    for (const env of [backupEnv, recoveryEnv]) expect(env.DISTRAG_PG_BIN).toBe(`/usr/lib/postgresql/${major}/bin`);
  });

  it('keep RPO 0 consistent: synchronous_standby_names names the backup service\'s WAL receivers, which run with every `up`', () => {
    const standby = confSetting('synchronous_standby_names') ?? '';
    const backupConfig = loadConfig(backupEnv);
    if (standby === '') {
      expect(backupConfig.DISTRAG_BACKUP_SYNC, 'DISTRAG_BACKUP_SYNC on without synchronous_standby_names').toBe(false);
      return;
    }
    expect(standby).toBe(WAL_RECEIVER_APPLICATION);
    expect(backupConfig.DISTRAG_BACKUP_SYNC).toBe(true);
    expect(backup.profiles ?? []).toEqual([]);
    expect(confSetting('synchronous_commit') ?? 'on').toMatch(/^(on|remote_write|remote_apply)$/);
    // The init job's commits wait for this service's receivers: it must be up first.
    expect(dependsOn(services.init!).backup?.condition).toBe('service_healthy');
    expect(dependsOn(backup).init, 'backup waits for init, which waits for backup').toBeUndefined();
  });

  it('let the image\'s first-run setup commit without the WAL receiver, and only it', () => {
    const entrypoint = read('docker/postgres/node-entrypoint.sh');
    expect(entrypoint).toMatch(/^\s*export PGOPTIONS='-c synchronous_commit=local'$/m);
    expect(entrypoint).toMatch(/^exec docker-entrypoint\.sh "\$@"$/m);
    const done = read('docker/postgres/999-distrag-init-done.sh');
    expect(done).toMatch(/^unset PGOPTIONS$/m);
    // Sourced, not executed, so that the unset reaches the entrypoint that starts the real server.
    expect(fs.statSync(path.join(root, 'docker/postgres/999-distrag-init-done.sh')).mode & 0o111).toBe(0);
    for (const name of citusNodes) {
      const s = services[name]!;
      expect(list(s.entrypoint), name).toEqual(['/bin/sh', '/etc/distrag/node-entrypoint.sh']);
      expect(bindMounts(s), name).toContainEqual(['./docker/postgres/node-entrypoint.sh', '/etc/distrag/node-entrypoint.sh']);
      const inits = bindMounts(s).filter(([, target]) => target.startsWith('/docker-entrypoint-initdb.d/')).map(([, target]) => path.basename(target));
      // The image's own 001-create-citus-extension.sql runs before every one of these.
      expect(inits.every((f) => f > '001-create-citus-extension.sql'), name).toBe(true);
      expect(inits.sort().at(-1), `${name}: the init-done script runs last`).toBe('999-distrag-init-done.sh');
    }
  });

  it('give the recovery service every node\'s data directory where a restore replaces it', () => {
    const recoveryMounts = mounts(recovery);
    for (const name of citusNodes) {
      const pgdata = envOf(services[name]!).PGDATA!;
      expect(path.posix.basename(pgdata), `${name}: PGDATA is a directory inside the volume`).toBe(PGDATA_DIRNAME);
      const volume = mounts(services[name]!).find((m) => m.target === path.posix.dirname(pgdata));
      expect(volume, `${name}: a named volume at ${path.posix.dirname(pgdata)}`).toBeDefined();
      expect(compose.volumes ?? {}).toHaveProperty(volume!.source);
      expect(recoveryMounts, name).toContainEqual({ source: volume!.source, target: path.posix.join(NODE_VOLUMES_ROOT, nodeNames[name]), readOnly: false });
    }
    expect(loadConfig(recoveryEnv).DISTRAG_SERVICE_USER, 'a restored directory belongs to the nodes\' postgres user').toBe('postgres');
  });

  it('share one backups volume at DISTRAG_HOME/backups: written by the backup service, read by recovery and by restored nodes', () => {
    const backupsDir = path.posix.join(loadConfig(backupEnv).DISTRAG_HOME, 'backups');
    const volume = mounts(backup).find((m) => m.target === backupsDir);
    expect(volume, `backup: a volume at ${backupsDir}`).toMatchObject({ readOnly: false });
    expect(loadConfig(recoveryEnv).DISTRAG_HOME).toBe(loadConfig(backupEnv).DISTRAG_HOME);
    for (const name of ['recovery', ...citusNodes]) {
      expect(mounts(services[name]!), name).toContainEqual({ source: volume!.source, target: backupsDir, readOnly: true });
    }
  });

  it('run the backup service as the nodes\' postgres user, which the image makes with the Citus image\'s ids', () => {
    expect(backup.user).toBe('postgres');
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toMatch(/groupadd --system --gid 999 postgres/);
    expect(dockerfile).toMatch(/useradd --system --uid 999 --gid postgres\b/);
    expect(dockerfile).toMatch(/chown postgres:postgres \/var\/lib\/distrag\/backups/);
  });

  it('watch every other service of the stack on the port it listens on, and start once all of them are up', () => {
    const watched = Object.keys(services).filter((name) => !(name in UNWATCHED_COMPOSE_SERVICES));
    for (const name of Object.keys(UNWATCHED_COMPOSE_SERVICES)) {
      expect(services, name).toHaveProperty(name);
      expect(composeWatch(name, defaults), name).toBeNull();
    }
    for (const name of watched) {
      const watch = composeWatch(name, defaults);
      expect(watch, `${name} is neither watched nor listed as unwatched`).not.toBeNull();
      expect(watch!.replicated, name).toBe((services[name]!.deploy?.replicas ?? 1) > 1);
      if (watch!.check.kind !== 'http') continue;
      const port = envOf(services[name]!).DISTRAG_SERVICE_PORT;
      if (port !== undefined) expect(String(watch!.check.port), name).toBe(port);
      else expect(list(services[name]!.healthcheck?.test).join(' ') + read('docker/nginx/nginx.conf'), name).toContain(String(watch!.check.port));
    }
    // Started last, on every watched service's health: nothing still starting looks hung to it.
    const healthyClosure = new Set<string>();
    const visit = (name: string) => {
      for (const [dep, { condition }] of Object.entries(dependsOn(services[name]!))) {
        if (condition !== 'service_healthy' || healthyClosure.has(dep)) continue;
        healthyClosure.add(dep);
        visit(dep);
      }
    };
    visit('recovery');
    for (const name of watched) expect(healthyClosure.has(name), `recovery starts before ${name} is healthy`).toBe(true);
  });
});

describe('docker/', () => {
  it('nginx.conf is the template `up` uses, pointed at every replica of the gateway service', () => {
    expect(read('docker/nginx/nginx.conf'), 'regenerate: npx distrag nginx-conf > docker/nginx/nginx.conf').toBe(renderNginxConf({ runtime: { kind: 'container' }, ...COMPOSE_NGINX }));
    for (const { host, port } of COMPOSE_NGINX.gateways) {
      expect(services, `upstream ${host}`).toHaveProperty(host);
      expect(String(port)).toBe(envOf(services[host]!).DISTRAG_SERVICE_PORT);
    }
    expect(published(services.nginx!)).toContain(`${COMPOSE_NGINX.listen}:${COMPOSE_NGINX.listen}`);
  });

  it('Dockerfile builds the TypeScript once and runs as a non-root user', () => {
    const dockerfile = read('docker/Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim\b/m);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\b/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(dockerfile).toMatch(/^ENTRYPOINT\s/m);
    for (const [, source] of dockerfile.matchAll(/^COPY\s+(?:--\S+\s+)*(docker\/\S+)/gm)) {
      expect(fs.existsSync(path.join(root, source!)), source).toBe(true);
    }
  });

  it('.dockerignore keeps local state and test output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, ''));
    for (const entry of ['node_modules', 'dist', '.distrag', 'test-results', '.env']) expect(ignored).toContain(entry);
  });

  it('.env.example names every variable compose.yaml reads, and holds no secret', () => {
    const example = read('.env.example');
    const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    for (const [, name] of composeText.matchAll(/\$\{([A-Z0-9_]+)/g)) expect(named.has(name!), `${name} is missing from .env.example`).toBe(true);
    for (const [, name, value] of example.matchAll(/^([A-Z][A-Z0-9_]*(?:SECRET|PASSWORD|KEY))=(.*)$/gm)) expect(value, `${name} has a value in .env.example`).toBe('');
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});

// `docker compose config` (or the older `docker-compose config`) validates against the Compose
// specification without an engine; skipped where neither is installed, and the title says so.
// docker-compose 1.x predates the top-level `name` (the project's name): it reads a copy without it.
const composeCli = [['docker', 'compose'], ['docker-compose']].find(([cmd, ...args]) => spawnSync(cmd!, [...args, 'version'], { encoding: 'utf8' }).status === 0) ?? null;
describe('docker compose config', () => {
  it.skipIf(!composeCli)(`accepts compose.yaml${composeCli ? ` (${composeCli.join(' ')})` : ' (skipped: neither `docker compose` nor `docker-compose` is installed)'}`, () => {
    const [cmd, ...args] = composeCli!;
    let file = path.join(root, 'compose.yaml');
    if (cmd === 'docker-compose') {
      file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-compose-')), 'compose.yaml');
      expect(composeText).toMatch(/^name: distrag$/m);
      fs.writeFileSync(file, composeText.replace(/^name: distrag$/m, ''));
    }
    const result = spawnSync(cmd!, [...args, '-f', file, '--project-directory', root, 'config', '-q'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...fakeSecrets },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
