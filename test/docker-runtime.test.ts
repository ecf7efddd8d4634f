import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { DockerRuntime, PGDATA_DIRNAME, type DockerRuntimeOptions } from '../src/recovery/docker-runtime.js';

/**
 * DockerRuntime (the recovery watchdog's runtime under compose) against a stand-in for the Docker
 * Engine: an HTTP server on a Unix socket that speaks the Engine API's wire format for the calls the
 * runtime makes (container list with label and health filters, inspect, restart, stop, kill), over
 * containers labelled the way Docker Compose labels them.
 */

interface FakeContainer {
  Id: string;
  name: string;
  project: string;
  service: string;
  number: number;
  oneoff?: boolean;
  state: 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
  exitCode: number;
  oomKilled?: boolean;
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** What a restart leads to: running (default) or a container that exits at once with this code. */
  exitsOnStart?: number;
}

/** The Engine API calls the fake received, as `METHOD /path?query`. */
class FakeDockerEngine {
  readonly calls: string[] = [];
  containers: FakeContainer[] = [];
  /** `METHOD /path` → an error answer, as the Engine gives it. */
  readonly failures = new Map<string, { status: number; message: string }>();
  private readonly server: http.Server;

  constructor(readonly socketPath: string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private find(ref: string): FakeContainer | undefined {
    return this.containers.find((c) => c.Id === ref || (ref.length >= 12 && c.Id.startsWith(ref)) || c.name === ref);
  }

  private labels(c: FakeContainer): Record<string, string> {
    return {
      'com.docker.compose.project': c.project,
      'com.docker.compose.service': c.service,
      'com.docker.compose.container-number': String(c.number),
      'com.docker.compose.oneoff': c.oneoff ? 'True' : 'False',
      'com.docker.compose.version': '2.29.7',
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    this.calls.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const failure = this.failures.get(`${req.method} ${url.pathname}`);
    if (failure) return send(failure.status, { message: failure.message });

    if (req.method === 'GET' && url.pathname === '/containers/json') {
      const all = ['1', 'true', 'True'].includes(url.searchParams.get('all') ?? '');
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[]; health?: string[] };
      const list = this.containers
        .filter((c) => all || c.state === 'running')
        .filter((c) => (filters.label ?? []).every((l) => {
          const [key, value] = l.split('=') as [string, string | undefined];
          const labels = this.labels(c);
          return value === undefined ? key in labels : labels[key] === value;
        }))
        .filter((c) => !filters.health || (c.state === 'running' && filters.health.includes(c.health ?? 'none')));
      return send(200, list.map((c) => ({
        Id: c.Id,
        Names: [`/${c.name}`],
        Image: 'distrag:local',
        Command: 'distrag-entrypoint',
        Created: 1_700_000_000,
        State: c.state,
        Status: c.state === 'running' ? `Up 5 minutes${c.health ? ` (${c.health === 'starting' ? 'health: starting' : c.health})` : ''}` : `Exited (${c.exitCode}) 3 seconds ago`,
        Labels: this.labels(c),
      })));
    }
    const match = /^\/containers\/([^/]+)\/(json|restart|stop|kill|start)$/.exec(url.pathname);
    const container = match ? this.find(decodeURIComponent(match[1]!)) : undefined;
    if (!match) return send(404, { message: 'page not found' });
    if (!container) return send(404, { message: `No such container: ${decodeURIComponent(match[1]!)}` });
    const action = match[2];
    if (req.method === 'GET' && action === 'json') {
      return send(200, {
        Id: container.Id,
        Name: `/${container.name}`,
        RestartCount: 0,
        State: {
          Status: container.state,
          Running: container.state === 'running' || container.state === 'paused',
          Paused: container.state === 'paused',
          Restarting: container.state === 'restarting',
          OOMKilled: container.oomKilled === true,
          Dead: container.state === 'dead',
          Pid: container.state === 'running' ? 4242 : 0,
          ExitCode: container.exitCode,
          Error: '',
          ...(container.health ? { Health: { Status: container.health, FailingStreak: 0, Log: [] } } : {}),
        },
        Config: { Hostname: container.Id.slice(0, 12), Labels: this.labels(container) },
      });
    }
    if (req.method !== 'POST') return send(404, { message: 'page not found' });
    const running = container.state === 'running' || container.state === 'paused';
    switch (action) {
      case 'restart':
      case 'start':
        if (action === 'start' && running) return send(304);
        if (container.exitsOnStart !== undefined) Object.assign(container, { state: 'exited', exitCode: container.exitsOnStart });
        else Object.assign(container, { state: 'running', exitCode: 0 });
        return send(204);
      case 'stop':
        if (!running) return send(304);
        Object.assign(container, { state: 'exited', exitCode: 0 });
        return send(204);
      case 'kill':
        if (!running) return send(409, { message: `cannot kill container: ${container.Id}: container ${container.Id} is not running` });
        Object.assign(container, { state: 'exited', exitCode: 137 });
        return send(204);
      default:
        return send(404, { message: 'page not found' });
    }
  }
}

const PROJECT = 'distrag';
const ADMIN_URL = 'postgresql://distrag_admin:s3cret%2Fpw@coordinator:5432/distrag';
let id = 0;
const nextId = () => (++id).toString(16).padStart(64, 'a');

function composeContainer(service: string, state: FakeContainer['state'], extra: Partial<FakeContainer> = {}): FakeContainer {
  const number = extra.number ?? 1;
  return { Id: nextId(), name: `${PROJECT}-${service}-${number}`, project: PROJECT, service, number, state, exitCode: state === 'exited' ? 1 : 0, ...extra };
}

/** A stack as compose.yaml runs it, everything up. */
function healthyStack(): FakeContainer[] {
  return [
    ...['worker1', 'worker2', 'coordinator', 'redis', 'chroma', 'feed', 'data', 'rag', 'cache', 'cluster', 'nginx', 'backup', 'recovery', 'pgadmin'].map((s) => composeContainer(s, 'running')),
    ...[1, 2, 3].map((n) => composeContainer('gateway', 'running', { number: n })),
  ];
}

let dir: string;
let engine: FakeDockerEngine;
let healthServer: http.Server;
let healthPort: number;
/** Answers of the health endpoint, in turn (the last one repeats). */
let healthAnswers: number[] = [200];

beforeAll(async () => {
  healthServer = http.createServer((_req, res) => {
    const status = healthAnswers.length > 1 ? healthAnswers.shift()! : healthAnswers[0]!;
    res.writeHead(status).end(status === 200 ? 'ok' : 'not ready');
  });
  await new Promise<void>((resolve) => healthServer.listen(0, '127.0.0.1', resolve));
  healthPort = (healthServer.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => healthServer.close(resolve));
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-docker-runtime-'));
  engine = new FakeDockerEngine(path.join(dir, 'docker.sock'));
  await engine.listen();
  healthAnswers = [200];
});

afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runtime(options: DockerRuntimeOptions = {}, env: Record<string, string> = {}): DockerRuntime {
  const config = loadConfig({ DISTRAG_DATABASE_URL: ADMIN_URL, DISTRAG_RECOVERY_RUNTIME: 'docker', ...env });
  return new DockerRuntime(config, { socketPath: engine.socketPath, project: PROJECT, nodeVolumesRoot: path.join(dir, 'pg'), ...options });
}

describe('DockerRuntime.services', () => {
  it('lists the compose project\'s containers by their Compose labels, named as the watchdog knows them', async () => {
    engine.containers = [
      ...healthyStack(),
      composeContainer('data', 'running', { oneoff: true, number: 7, name: 'distrag-data-run-1f2e' }),
      { ...composeContainer('coordinator', 'running'), project: 'someone-else', name: 'someone-else-coordinator-1' },
    ];
    const services = await runtime().services();

    const listCalls = engine.calls.filter((c) => c.startsWith('GET /containers/json'));
    expect(listCalls.length).toBeGreaterThan(0);
    for (const call of listCalls) {
      const query = new URL(call.split(' ')[1]!, 'http://docker').searchParams;
      expect(query.get('all')).toBe('true');
      expect(JSON.parse(query.get('filters')!).label).toEqual([`com.docker.compose.project=${PROJECT}`]);
    }
    expect(services.map((s) => s.name)).toEqual([
      'backup', 'cache', 'chroma', 'cluster', 'coordinator', 'data', 'feed', 'gateway-1', 'gateway-2', 'gateway-3', 'nginx', 'rag', 'redis', 'worker1', 'worker2',
    ]);
    expect(services.every((s) => s.alive && !s.stopping)).toBe(true);
    const byName = Object.fromEntries(services.map((s) => [s.name, s]));
    expect(byName.coordinator!.node).toBe('coordinator');
    expect(byName.worker1!.node).toBe('worker-1');
    expect(byName.worker2!.node).toBe('worker-2');
    expect(byName.data!.node).toBeNull();
  });

  it('checks each service where the recovery container reaches it on the compose network', async () => {
    engine.containers = healthyStack();
    const byName = Object.fromEntries((await runtime().services()).map((s) => [s.name, s.health]));
    const worker = byName.worker1!;
    expect(worker.kind).toBe('postgres');
    const url = new URL((worker as { url: string }).url);
    expect([url.hostname, url.port, url.pathname, url.username, decodeURIComponent(url.password)]).toEqual(['worker1', '5432', '/postgres', 'distrag_admin', 's3cret/pw']);
    expect(byName.redis).toEqual({ kind: 'redis', host: 'redis', port: 6379 });
    expect(byName.chroma).toEqual({ kind: 'http', url: 'http://chroma:8000/api/v2/heartbeat' });
    expect(byName.data).toEqual({ kind: 'http', url: 'http://data:4001/readyz' });
    expect(byName.feed).toEqual({ kind: 'http', url: 'http://feed:4005/readyz' });
    expect(byName.nginx).toEqual({ kind: 'http', url: 'http://nginx:8080/nginx-health' });
    // The backup process's readiness reports other nodes; its liveness is what is watched.
    expect(byName.backup).toEqual({ kind: 'http', url: 'http://backup:4006/healthz' });
    // Replicas share the service name in DNS: each is reached by its container name.
    expect(byName['gateway-2']).toEqual({ kind: 'http', url: 'http://distrag-gateway-2:4000/readyz' });
  });

  it('tells failures (crash, kill, OOM, restart loop) from transitions Compose or an operator carries out', async () => {
    const containers = {
      crashed: composeContainer('worker1', 'exited', { exitCode: 137 }),
      stoppedByOperator: composeContainer('worker2', 'exited', { exitCode: 0 }),
      oom: composeContainer('rag', 'exited', { exitCode: 0, oomKilled: true }),
      looping: composeContainer('data', 'restarting', { exitCode: 1 }),
      notStartedYet: composeContainer('coordinator', 'created'),
      warmingUp: composeContainer('cache', 'running', { health: 'starting' }),
      up: composeContainer('cluster', 'running', { health: 'healthy' }),
      paused: composeContainer('redis', 'paused'),
    };
    engine.containers = Object.values(containers);
    const byName = Object.fromEntries((await runtime().services()).map((s) => [s.name, s]));
    expect(byName.worker1).toMatchObject({ alive: false, stopping: false });
    expect(byName.worker2).toMatchObject({ alive: false, stopping: true });
    expect(byName.rag).toMatchObject({ alive: false, stopping: false });
    expect(byName.data).toMatchObject({ alive: false, stopping: false });
    expect(byName.coordinator).toMatchObject({ alive: false, stopping: true });
    expect(byName.cache).toMatchObject({ alive: true, stopping: true });
    expect(byName.cluster).toMatchObject({ alive: true, stopping: false });
    // Only an operator pauses a container (`docker compose pause`): left alone, not killed as hung.
    expect(byName.redis).toMatchObject({ alive: true, stopping: true });
  });

  it('finds its compose project from its own container\'s labels', async () => {
    const self = composeContainer('recovery', 'running');
    engine.containers = [...healthyStack(), { ...self, Id: 'f00dfeed'.repeat(8) }];
    const services = await runtime({ project: undefined, self: 'f00dfeedf00d' }).services();
    expect(services).toHaveLength(15);
    expect(engine.calls).toContain('GET /containers/f00dfeedf00d/json');
  });

  it('says so when it does not run in a compose container', async () => {
    engine.containers = healthyStack();
    await expect(runtime({ project: undefined, self: 'my-laptop' }).services()).rejects.toThrow(/no container "my-laptop".*recovery service/);
    engine.containers.push({ ...composeContainer('x', 'running'), name: 'plain', project: '' });
    await expect(runtime({ project: undefined, self: 'plain' }).services()).rejects.toThrow(/no com\.docker\.compose\.project label/);
  });

  it('names the socket and what to do when the Docker Engine cannot be reached', async () => {
    await expect(runtime({ socketPath: path.join(dir, 'absent.sock') }).services()).rejects.toThrow(/cannot reach the Docker Engine API at .*absent\.sock.*mount the Docker socket/);
  });

  it('surfaces the Engine\'s own error message', async () => {
    engine.failures.set('GET /containers/json', { status: 500, message: 'Error response from daemon: i/o timeout' });
    await expect(runtime().services()).rejects.toThrow('Docker Engine API GET /containers/json failed (500): Error response from daemon: i/o timeout');
  });
});

describe('DockerRuntime.restart, stop, kill', () => {
  it('restarts the right container and resolves once its health check passes', async () => {
    engine.containers = healthyStack();
    const target = engine.containers.find((c) => c.service === 'gateway' && c.number === 2)!;
    target.state = 'exited';
    target.exitCode = 137;
    healthAnswers = [503, 503, 200];
    const rt = runtime({ hostOf: () => '127.0.0.1' }, { DISTRAG_GATEWAY_PORT: String(healthPort) });
    await rt.restart('gateway-2');
    expect(engine.calls.filter((c) => c.startsWith('POST'))).toEqual([`POST /containers/${target.Id}/restart`]);
    expect(target.state).toBe('running');
    expect(healthAnswers).toEqual([200]);
    const after = (await rt.services()).find((s) => s.name === 'gateway-2')!;
    expect(after).toMatchObject({ alive: true, stopping: false });
  });

  it('fails clearly when the container exits while starting, and stops it so Docker does not loop on it', async () => {
    engine.containers = healthyStack();
    const data = engine.containers.find((c) => c.service === 'data')!;
    data.state = 'exited';
    data.exitsOnStart = 1;
    // Nothing listens on port 1: the health check is refused at once.
    const rt = runtime({ hostOf: () => '127.0.0.1' }, { DISTRAG_DATA_PORT: '1' });
    await expect(rt.restart('data')).rejects.toThrow(/^data did not start again: its container exited with code 1; see `docker compose logs`$/);
    expect(engine.calls.filter((c) => c.startsWith('POST'))).toEqual([`POST /containers/${data.Id}/restart`, `POST /containers/${data.Id}/stop`]);
    // Stopped by the runtime, not by an operator: still a failure for the watchdog.
    expect((await rt.services()).find((s) => s.name === 'data')).toMatchObject({ alive: false, stopping: false });
  });

  it('gives up at the start timeout when the container runs but never answers, and stops it', async () => {
    engine.containers = healthyStack();
    const cache = engine.containers.find((c) => c.service === 'cache')!;
    healthAnswers = [503];
    const rt = runtime({ hostOf: () => '127.0.0.1', startTimeoutMs: 1_000 }, { DISTRAG_CACHE_PORT: String(healthPort) });
    const began = Date.now();
    await expect(rt.restart('cache')).rejects.toThrow('cache did not start again: not healthy within 1 s (container running)');
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_000);
    expect(engine.calls.filter((c) => c.startsWith('POST'))).toEqual([`POST /containers/${cache.Id}/restart`, `POST /containers/${cache.Id}/stop`]);
    // A longer timeout asked for by the caller (a restore's WAL replay) wins over the default.
    healthAnswers = [503, 503, 503, 200];
    await rt.restart('cache', { startTimeoutMs: 60_000 });
  });

  it('surfaces an Engine error on restart with the service and the Engine\'s message', async () => {
    engine.containers = healthyStack();
    const redis = engine.containers.find((c) => c.service === 'redis')!;
    engine.failures.set(`POST /containers/${redis.Id}/restart`, { status: 500, message: 'driver failed programming external connectivity on endpoint distrag-redis-1' });
    await expect(runtime().restart('redis')).rejects.toThrow(`Docker Engine API POST /containers/${redis.Id}/restart failed (500): driver failed programming external connectivity on endpoint distrag-redis-1`);
  });

  it('refuses a service that has no container in the project', async () => {
    engine.containers = healthyStack();
    await expect(runtime().restart('gateway-9')).rejects.toThrow('no container of compose project distrag is the service gateway-9');
    await expect(runtime().stop('pgadmin')).rejects.toThrow(/is the service pgadmin/);
  });

  it('stops with the container\'s own stop signal and timeout, and counts that stop as its own', async () => {
    engine.containers = healthyStack();
    const coordinator = engine.containers.find((c) => c.service === 'coordinator')!;
    const rt = runtime();
    await rt.stop('coordinator');
    expect(engine.calls.filter((c) => c.startsWith('POST'))).toEqual([`POST /containers/${coordinator.Id}/stop`]);
    expect(coordinator).toMatchObject({ state: 'exited', exitCode: 0 });
    expect((await rt.services()).find((s) => s.name === 'coordinator')).toMatchObject({ alive: false, stopping: false });
    // Stopping a stopped container (304) is not an error.
    await rt.stop('coordinator');
    // Started again by hand and later stopped by an operator: an orderly stop again.
    Object.assign(coordinator, { state: 'running' });
    await rt.services();
    Object.assign(coordinator, { state: 'exited', exitCode: 0 });
    expect((await rt.services()).find((s) => s.name === 'coordinator')).toMatchObject({ alive: false, stopping: true });
  });

  it('kills with SIGKILL and returns once the container no longer runs; a dead one is fine', async () => {
    engine.containers = healthyStack();
    const rag = engine.containers.find((c) => c.service === 'rag')!;
    const rt = runtime();
    await rt.kill('rag');
    expect(engine.calls.filter((c) => c.startsWith('POST'))).toEqual([`POST /containers/${rag.Id}/kill?signal=SIGKILL`]);
    expect(rag.state).toBe('exited');
    await rt.kill('rag');
    expect((await rt.services()).find((s) => s.name === 'rag')).toMatchObject({ alive: false, stopping: false });
  });
});

describe('DockerRuntime.dataDir', () => {
  it('is the pgdata directory inside the node\'s volume where it is mounted, else out of reach', () => {
    fs.mkdirSync(path.join(dir, 'pg', 'coordinator'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'pg', 'worker-1'), { recursive: true });
    const rt = runtime();
    expect(rt.dataDir('coordinator')).toBe(path.join(dir, 'pg', 'coordinator', PGDATA_DIRNAME));
    expect(rt.dataDir('worker-1')).toBe(path.join(dir, 'pg', 'worker-1', PGDATA_DIRNAME));
    expect(rt.dataDir('worker-2')).toBeNull();
    expect(rt.dataDir('../etc')).toBeNull();
    expect(rt.kind).toBe('docker');
    expect(rt.startWorker).toBeNull();
  });
});
