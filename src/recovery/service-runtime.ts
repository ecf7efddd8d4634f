import type { HealthCheck } from '../stack/health-check.js';

/** One service the watchdog looks after. */
export interface WatchedService {
  name: string;
  /** The PostgreSQL node's short name (`coordinator`, `worker-1`) for database nodes; null for other services. */
  node: string | null;
  /** First signal: the runtime's own view (the process or container runs). */
  alive: boolean;
  /** Second signal: the service answers its health check. */
  health: HealthCheck;
  /** An orderly stop is under way (`down`, a test's restart): not a failure. */
  stopping: boolean;
}

/** A database node's address, from its health check (null for other services). */
export function postgresAddress(service: WatchedService): { host: string; port: number } | null {
  if (service.health.kind !== 'postgres') return null;
  const url = new URL(service.health.url);
  return { host: url.hostname, port: Number(url.port) };
}

/**
 * Where the services run: `local` (processes the CLI started, recorded in run/processes.json) or
 * `docker` (compose containers). The watchdog decides; the runtime carries out.
 */
export interface ServiceRuntime {
  readonly kind: 'local' | 'docker';
  services(): Promise<WatchedService[]>;
  /** Starts a service again in place and resolves once it is healthy. */
  restart(name: string, options?: { startTimeoutMs?: number }): Promise<void>;
  /** Stops a service cleanly (PostgreSQL: fast shutdown). */
  stop(name: string): Promise<void>;
  /** Kills a hung service at once. */
  kill(name: string): Promise<void>;
  /** A database node's data directory as this process sees it; null when out of reach. */
  dataDir(node: string): string | null;
  /** Starts a new Citus worker (the CLI runtime only); null when this runtime cannot. */
  readonly startWorker: ((port: number | null) => Promise<{ host: string; port: number }>) | null;
}
