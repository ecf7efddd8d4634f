import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker, { type ContainerInfo, type ContainerInspectInfo } from 'dockerode';
import { required, type Config } from '../config/config.js';
import { checkHealth, type HealthCheck } from '../stack/health-check.js';
import type { ServiceRuntime, WatchedService } from './service-runtime.js';

/** Where the Docker Engine API listens; compose.yaml mounts the host's socket here (recovery only). */
export const DOCKER_SOCKET = '/var/run/docker.sock';
/** Labels Compose puts on every container it makes. */
const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';
const NUMBER_LABEL = 'com.docker.compose.container-number';
const ONEOFF_LABEL = 'com.docker.compose.oneoff';

/** Ports inside the compose network that belong to the images, not to DistRAG's settings. */
export const COMPOSE_IMAGE_PORTS = { postgres: 5432, redis: 6379, chroma: 8000, nginx: 8080 } as const;
/**
 * Each Citus node keeps its data directory one level down in its volume (PGDATA=<volume>/pgdata), so
 * that a restore can rename a new directory into place: a volume's mount point cannot be renamed.
 */
export const PGDATA_DIRNAME = 'pgdata';
/** Where compose.yaml mounts each node's volume into the recovery container: <root>/<node>. */
export const NODE_VOLUMES_ROOT = '/var/lib/distrag/pg';

/** How long a restarted container has to pass its health check: entrypoint, PostgreSQL crash recovery, a service's warm-up. */
const DEFAULT_START_TIMEOUT_MS = 120_000;
/** Stop and restart wait for the container's own stop_grace_period (PostgreSQL: 60 s) and more. */
const LIFECYCLE_TIMEOUT_MS = 5 * 60_000;
const QUERY_TIMEOUT_MS = 10_000;
const POLL_MS = 500;

/** How the watchdog checks one compose service, and which database node it is. */
export interface ComposeWatch {
  service: string;
  node: string | null;
  /** Several containers (`deploy.replicas`): each is watched on its own, as `<service>-<n>`. */
  replicated: boolean;
  check: { kind: 'postgres' } | { kind: 'redis'; port: number } | { kind: 'http'; port: number; path: string };
}

/**
 * Compose services the watchdog does not look after, and why. Every other service of compose.yaml
 * must be known to `composeWatch` (test/compose.test.ts holds the two together).
 */
export const UNWATCHED_COMPOSE_SERVICES: Readonly<Record<string, string>> = {
  recovery: 'the watchdog itself; Docker\'s restart policy brings it back',
  init: 'a one-shot job (`distrag migrate`) that runs to its end at every `docker compose up`',
  pgadmin: 'an administration UI on no data path, absent from the native stack; Docker\'s restart policy is enough',
};

/**
 * How the watchdog looks after one compose service, or null for a service it does not know. The same
 * set as the native stack's: the Citus nodes, Redis, Chroma, the change feed, the subgraphs, each
 * gateway replica, NGINX and the backup process. Node services are checked on /readyz as `up`
 * checks them, except the backup process on /healthz: its readiness reports other nodes' WAL
 * streams, and restarting it for a dead node would break every other node's synchronous stream.
 */
export function composeWatch(service: string, config: Config): ComposeWatch | null {
  const node = service === 'coordinator' ? 'coordinator' : /^worker(\d+)$/.exec(service)?.[1];
  if (node !== undefined) return { service, node: node === 'coordinator' ? node : `worker-${node}`, replicated: false, check: { kind: 'postgres' } };
  const httpCheck = (port: number, urlPath = '/readyz') => ({ service, node: null, replicated: false, check: { kind: 'http' as const, port, path: urlPath } });
  switch (service) {
    case 'redis': return { service, node: null, replicated: false, check: { kind: 'redis', port: COMPOSE_IMAGE_PORTS.redis } };
    case 'chroma': return httpCheck(COMPOSE_IMAGE_PORTS.chroma, '/api/v2/heartbeat');
    case 'nginx': return httpCheck(COMPOSE_IMAGE_PORTS.nginx, '/nginx-health');
    case 'feed': return httpCheck(config.DISTRAG_FEED_PORT);
    case 'data': return httpCheck(config.DISTRAG_DATA_PORT);
    case 'rag': return httpCheck(config.DISTRAG_RAG_PORT);
    case 'cache': return httpCheck(config.DISTRAG_CACHE_PORT);
    case 'cluster': return httpCheck(config.DISTRAG_CLUSTER_PORT);
    case 'backup': return httpCheck(config.DISTRAG_BACKUP_PORT, '/healthz');
    case 'gateway': return { ...httpCheck(config.DISTRAG_GATEWAY_PORT), replicated: true };
    default: return null;
  }
}

/** The Docker Engine API answered with an error status (its own message kept), or could not be reached. */
export class DockerApiError extends Error {
  override name = 'DockerApiError';
  constructor(message: string, readonly status: number | null, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The few Docker Engine API calls the runtime makes, through dockerode over the Unix socket, each
 * with its own timeout, and every failure a DockerApiError that names the call. Paths are
 * unversioned (no `version` option): the daemon answers in its own API version, and every field read
 * here has been stable across versions.
 */
export class DockerEngine {
  private readonly docker: Docker;

  constructor(readonly socketPath: string) {
    // The socket always: docker-modem would otherwise follow a DOCKER_HOST in the environment to TCP.
    this.docker = new Docker({ socketPath, host: undefined, protocol: 'http' });
  }

  /** Containers carrying every one of `labels` (`key=value`), stopped ones included; `health` narrows to that health status. */
  listContainers(labels: string[], health?: 'starting' | 'healthy' | 'unhealthy'): Promise<ContainerInfo[]> {
    const filters = { label: labels, ...(health ? { health: [health] } : {}) };
    return this.call('GET /containers/json', QUERY_TIMEOUT_MS, (abortSignal) => this.docker.listContainers({ all: true, filters, abortSignal }));
  }

  inspect(id: string): Promise<ContainerInspectInfo> {
    return this.call(`GET /containers/${id}/json`, QUERY_TIMEOUT_MS, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }));
  }

  /** Without `t`, Docker waits the container's own stop timeout (compose's stop_grace_period) before SIGKILL. */
  async restart(id: string): Promise<void> {
    await this.call(`POST /containers/${id}/restart`, LIFECYCLE_TIMEOUT_MS, (abortSignal) => this.docker.getContainer(id).restart({ abortSignal }));
  }

  /** Stops with the container's stop signal (PostgreSQL: SIGINT, a fast shutdown); already stopped (304) is fine. */
  async stop(id: string): Promise<void> {
    try {
      await this.call(`POST /containers/${id}/stop`, LIFECYCLE_TIMEOUT_MS, (abortSignal) => this.docker.getContainer(id).stop({ abortSignal }));
    } catch (error) {
      if (!(error instanceof DockerApiError && error.status === 304)) throw error;
    }
  }

  /** SIGKILL; a container that is not running (409) is fine. */
  async kill(id: string): Promise<void> {
    try {
      await this.call(`POST /containers/${id}/kill`, QUERY_TIMEOUT_MS, (abortSignal) => this.docker.getContainer(id).kill({ signal: 'SIGKILL', abortSignal }));
    } catch (error) {
      if (!(error instanceof DockerApiError && error.status === 409)) throw error;
    }
  }

  /** `what`: the call as `METHOD /path`, for messages. */
  private async call<T>(what: string, timeoutMs: number, request: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await request(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      throw this.failure(what, timeoutMs, error);
    }
    // docker-modem hands back the raw body when it is not JSON; an empty one is a 204's.
    if (Buffer.isBuffer(result) && result.length > 0) throw new DockerApiError(`Docker Engine API ${what} answered with a body that is not JSON`, null);
    return result;
  }

  private failure(what: string, timeoutMs: number, error: unknown): DockerApiError {
    const { statusCode, json, code, name, message } = error as { statusCode?: unknown; json?: unknown; code?: unknown; name?: unknown; message?: unknown };
    // docker-modem's error for an answer with an error status: the status and the parsed body.
    if (typeof statusCode === 'number') return new DockerApiError(`Docker Engine API ${what} failed (${statusCode}): ${apiMessage(json)}`, statusCode, { cause: error });
    const why = name === 'AbortError' ? `no answer within ${timeoutMs} ms` : String(message ?? error);
    const hint = code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES'
      ? `; mount the Docker socket into this container (compose.yaml: ${DOCKER_SOCKET} into the recovery service) and run it as a user that may open it`
      : '';
    return new DockerApiError(`cannot reach the Docker Engine API at ${this.socketPath} (${what}): ${why}${hint}`, null, { cause: error });
  }
}

/** The Engine's own message from an error answer's body: JSON `{"message": ...}`, or the text itself. */
function apiMessage(body: unknown): string {
  if (Buffer.isBuffer(body)) return body.toString('utf8').trim().slice(0, 300) || '(no message)';
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : '(no message)';
}

export interface DockerRuntimeOptions {
  /** Default DOCKER_SOCKET. */
  socketPath?: string;
  /** The compose project; default: read from this process's own container (its hostname is the container id). */
  project?: string;
  /** This process's container (id or name) for finding the project; default the hostname. */
  self?: string;
  /** Default NODE_VOLUMES_ROOT. */
  nodeVolumesRoot?: string;
  /**
   * The host name a service is reached at from this container. Default: the compose service name
   * (Docker's DNS on the project network), or the container's own name for a replicated service.
   */
  hostOf?: (service: string, containerName: string) => string;
  /** How long a restarted container has to pass its health check (default two minutes); a caller's longer timeout wins. */
  startTimeoutMs?: number;
}

interface Found {
  watch: ComposeWatch;
  name: string;
  container: ContainerInfo;
  health: HealthCheck;
}

/**
 * Compose's runtime (`DISTRAG_RECOVERY_RUNTIME=docker`, the recovery service of compose.yaml): the
 * containers of this compose project, found through the Docker Engine API by the labels Compose
 * sets, started, stopped and killed through it. Docker's restart policy stays on: it restarts a
 * crashed container at once, and the watchdog handles what it cannot (a node whose data is gone,
 * a hung service). What the runtime reports besides "running":
 * - `created` (Compose has not started it yet), `removing`, `paused` (`docker compose pause`), a
 *   running container whose Docker health check is still `starting`, or one that exited with code 0
 *   (`docker compose stop`, `down`) are transitions Compose or an operator carries out: `stopping`,
 *   not failures;
 * - `restarting`, `dead`, or exited with another code (a crash, OOM, kill -9) are failures, and so
 *   is any container this runtime stopped or killed itself until it runs again.
 * A service without a container (`docker compose rm`) is not reported: the runtime starts and stops
 * containers, it does not create them (`docker compose up` does).
 */
export class DockerRuntime implements ServiceRuntime {
  readonly kind = 'docker' as const;
  readonly startWorker = null;
  private readonly engine: DockerEngine;
  private readonly adminUrl: string;
  private readonly nodeVolumesRoot: string;
  private readonly hostOf: (service: string, containerName: string) => string;
  private project: string | null;
  /** Containers this runtime stopped or killed: not an operator's orderly stop. */
  private readonly stoppedHere = new Set<string>();

  constructor(private readonly config: Config, private readonly options: DockerRuntimeOptions = {}) {
    this.engine = new DockerEngine(options.socketPath ?? DOCKER_SOCKET);
    this.adminUrl = required(config.DISTRAG_DATABASE_URL, 'DISTRAG_DATABASE_URL');
    this.nodeVolumesRoot = options.nodeVolumesRoot ?? NODE_VOLUMES_ROOT;
    this.hostOf = options.hostOf ?? ((service, containerName) => (composeWatch(service, config)?.replicated ? containerName : service));
    this.project = options.project ?? null;
  }

  async services(): Promise<WatchedService[]> {
    const found = await this.find();
    const labels = [`${PROJECT_LABEL}=${await this.projectName()}`];
    const starting = new Set((await this.engine.listContainers(labels, 'starting')).map((c) => c.Id));
    return Promise.all(found.map(async ({ watch, name, container, health }) => ({
      name,
      node: watch.node,
      alive: container.State === 'running' || container.State === 'paused',
      health,
      stopping: await this.inTransition(container, starting),
    })));
  }

  async restart(name: string, options: { startTimeoutMs?: number } = {}): Promise<void> {
    const { container, health } = await this.get(name);
    this.stoppedHere.delete(container.Id);
    await this.engine.restart(container.Id);
    const timeoutMs = Math.max(this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, options.startTimeoutMs ?? 0);
    const problem = await this.waitHealthy(container.Id, health, timeoutMs);
    if (problem === null) return;
    // Halt Docker's restart policy so a container that cannot start is not started over and over
    // while the watchdog decides (a database node is restored next).
    await this.stop(name).catch(() => undefined);
    throw new Error(`${name} did not start again: ${problem}`);
  }

  async stop(name: string): Promise<void> {
    const { container } = await this.get(name);
    this.stoppedHere.add(container.Id);
    await this.engine.stop(container.Id);
  }

  async kill(name: string): Promise<void> {
    const { container } = await this.get(name);
    this.stoppedHere.add(container.Id);
    await this.engine.kill(container.Id);
    const deadline = Date.now() + QUERY_TIMEOUT_MS;
    while ((await this.engine.inspect(container.Id)).State.Running) {
      if (Date.now() > deadline) throw new Error(`${name} still runs ${QUERY_TIMEOUT_MS} ms after SIGKILL`);
      await sleep(50);
    }
  }

  /** `<root>/<node>/pgdata` when the node's volume is mounted at `<root>/<node>`; else null (out of reach). */
  dataDir(node: string): string | null {
    if (!/^(coordinator|worker-\d+)$/.test(node)) return null;
    const mount = path.join(this.nodeVolumesRoot, node);
    return fs.existsSync(mount) ? path.join(mount, PGDATA_DIRNAME) : null;
  }

  /** The project's containers of watched services, named as the watchdog knows them. */
  private async find(): Promise<Found[]> {
    const project = await this.projectName();
    const containers = await this.engine.listContainers([`${PROJECT_LABEL}=${project}`]);
    const found: Found[] = [];
    for (const container of containers) {
      const labels = container.Labels ?? {};
      // `docker compose run` one-off containers are not the service.
      if (labels[ONEOFF_LABEL] === 'True') continue;
      const watch = composeWatch(labels[SERVICE_LABEL] ?? '', this.config);
      if (!watch) continue;
      const containerName = (container.Names[0] ?? container.Id).replace(/^\//, '');
      const name = watch.replicated ? `${watch.service}-${labels[NUMBER_LABEL] ?? container.Id.slice(0, 12)}` : watch.service;
      found.push({ watch, name, container, health: this.healthOf(watch, this.hostOf(watch.service, containerName)) });
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async get(name: string): Promise<Found> {
    const found = (await this.find()).find((f) => f.name === name);
    if (!found) throw new Error(`no container of compose project ${await this.projectName()} is the service ${name}`);
    return found;
  }

  private healthOf(watch: ComposeWatch, host: string): HealthCheck {
    switch (watch.check.kind) {
      case 'postgres': {
        const url = new URL(this.adminUrl);
        url.hostname = host;
        url.port = String(COMPOSE_IMAGE_PORTS.postgres);
        url.pathname = '/postgres';
        return { kind: 'postgres', url: url.toString() };
      }
      case 'redis':
        return { kind: 'redis', host, port: watch.check.port };
      case 'http':
        return { kind: 'http', url: `http://${host}:${watch.check.port}${watch.check.path}` };
    }
  }

  private async inTransition(container: ContainerInfo, starting: Set<string>): Promise<boolean> {
    switch (container.State) {
      case 'created':
      case 'removing':
      case 'paused':
        return true;
      case 'running':
        // Running again (started here or by hand): a later clean exit is an operator's stop again.
        this.stoppedHere.delete(container.Id);
        return starting.has(container.Id);
      case 'exited': {
        if (this.stoppedHere.has(container.Id)) return false;
        const { State } = await this.engine.inspect(container.Id);
        return State.ExitCode === 0 && !State.OOMKilled;
      }
      default:
        return false;
    }
  }

  /** Null once the health check passes; else why not (the container exited, or time ran out). */
  private async waitHealthy(id: string, health: HealthCheck, timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    let exitedChecks = 0;
    for (;;) {
      if (await checkHealth(health, 2_000)) return null;
      const { State } = await this.engine.inspect(id);
      // Exited and not about to be restarted by Docker, twice in a row: it will not come up by itself.
      exitedChecks = (State.Status === 'exited' || State.Status === 'dead') && !State.Restarting ? exitedChecks + 1 : 0;
      if (exitedChecks >= 2) return `its container exited with code ${State.ExitCode}${State.OOMKilled ? ' (out of memory)' : ''}; see \`docker compose logs\``;
      if (Date.now() > deadline) return `not healthy within ${Math.round(timeoutMs / 1000)} s (container ${State.Status})`;
      await sleep(POLL_MS);
    }
  }

  private async projectName(): Promise<string> {
    if (this.project) return this.project;
    const self = this.options.self ?? os.hostname();
    let labels: Record<string, string>;
    try {
      labels = (await this.engine.inspect(self)).Config.Labels ?? {};
    } catch (error) {
      if (error instanceof DockerApiError && error.status === 404) {
        throw new Error(`the docker runtime finds its compose project from its own container, but there is no container "${self}" (this process's hostname): run it as compose.yaml's recovery service`, { cause: error });
      }
      throw error;
    }
    const project = labels[PROJECT_LABEL];
    if (!project) throw new Error(`container "${self}" carries no ${PROJECT_LABEL} label: the docker runtime runs in a container started by Docker Compose`);
    this.project = project;
    return project;
  }
}
