import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ClusterNotifier } from '../events/cluster-notifier.js';
import { checkLiveness } from './liveness.js';
import type { NodeRestorer } from './node-restorer.js';
import { postgresAddress, type ServiceRuntime, type WatchedService } from './service-runtime.js';

export interface WatchdogOptions {
  runtime: ServiceRuntime;
  restorer: NodeRestorer;
  notifier: ClusterNotifier;
  log: Logger;
  registry: Registry;
  checkMs: number;
  /** Consecutive checks on which both signals (runtime and health check) say down before acting. */
  failures: number;
}

interface Suspicion {
  down: number;
  /** Alive by the runtime but not answering: hung, if it lasts. */
  unanswering: number;
  since: number;
}

/** A live process that has not answered its health check for this many checks is hung: killed and recovered. */
const HUNG_FACTOR = 15;

/**
 * `distrag recover --watch`: looks after every service of the stack. A service counts as dead when
 * two independent signals agree for DISTRAG_RECOVERY_FAILURES checks in a row — the runtime says
 * it does not run, and its health check gets no answer (or, for a hung one, no answer for much
 * longer). A dead service is started again in place; a database node whose data directory is gone
 * or will not start is restored from its latest base backup plus all its WAL. One recovery per
 * service at a time; nodes being recovered by hand are left alone.
 */
export class Watchdog {
  private readonly suspicions = new Map<string, Suspicion>();
  private readonly busy = new Set<string>();
  /** Nodes whose automatic restore was refused (damaged WAL, no backup): they wait for an operator. */
  private readonly refused = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  private readonly recoveries: Counter<'kind' | 'outcome'>;

  constructor(private readonly options: WatchdogOptions) {
    this.recoveries = new Counter({
      name: 'distrag_recoveries_total',
      help: 'Services the watchdog recovered, by how (restart, restore) and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [options.registry],
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.options.checkMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy.size > 0) await new Promise((r) => setTimeout(r, 100));
  }

  /** Runs `work` on a service with the watchdog kept off it (a restore by hand). */
  async exclusively<T>(name: string, work: () => Promise<T>): Promise<T> {
    if (this.busy.has(name)) throw new Error(`${name} is already being recovered`);
    this.busy.add(name);
    try {
      return await work();
    } finally {
      this.busy.delete(name);
      this.suspicions.delete(name);
    }
  }

  /** Nodes waiting for an operator, and why. */
  refusals(): Record<string, string> {
    return Object.fromEntries(this.refused);
  }

  status(): { recovering: string[]; suspected: string[]; refused: Record<string, string> } {
    return { recovering: [...this.busy], suspected: [...this.suspicions.keys()], refused: this.refusals() };
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const services = await this.options.runtime.services();
      await Promise.all(services.map((service) => this.checkOne(service)));
    } catch (error) {
      this.options.log.warn({ err: error }, 'watchdog check failed');
    } finally {
      this.checking = false;
    }
  }

  private async checkOne(service: WatchedService): Promise<void> {
    if (this.busy.has(service.name) || service.stopping) {
      this.suspicions.delete(service.name);
      return;
    }
    const healthy = await checkLiveness(service.health, Math.min(2_000, this.options.checkMs * 2));
    if (healthy) {
      this.suspicions.delete(service.name);
      if (service.node) this.refused.delete(service.node);
      return;
    }
    const suspicion = this.suspicions.get(service.name) ?? { down: 0, unanswering: 0, since: Date.now() };
    this.suspicions.set(service.name, suspicion);
    if (service.alive) suspicion.unanswering++;
    else suspicion.down++;
    const dead = suspicion.down >= this.options.failures;
    const hung = suspicion.unanswering >= this.options.failures * HUNG_FACTOR;
    if (!dead && !hung) return;
    if (service.node && this.refused.has(service.node)) return;
    this.busy.add(service.name);
    void this.recover(service, hung && !dead, suspicion.since).finally(() => {
      this.busy.delete(service.name);
      this.suspicions.delete(service.name);
    });
  }

  private async recover(service: WatchedService, hung: boolean, since: number): Promise<void> {
    const { runtime, notifier, log } = this.options;
    const label = service.node ?? service.name;
    const why = hung ? 'alive but not answering (hung)' : 'not running and not answering';
    notifier.notify(service.node ? 'NODE_DOWN' : 'SERVICE_DOWN', label, `${label} is ${why}; recovering it`);
    if (hung) await runtime.kill(service.name);
    const intact = service.node ? dataDirectoryIntact(runtime.dataDir(service.node)) : true;
    if (intact) {
      try {
        await runtime.restart(service.name);
        this.recoveries.inc({ kind: 'restart', outcome: 'ok' });
        notifier.notify(service.node ? 'NODE_RECOVERED' : 'SERVICE_RECOVERED', label, `${label} restarted in place with its own data; down for ${((Date.now() - since) / 1000).toFixed(1)} s`);
        return;
      } catch (error) {
        this.recoveries.inc({ kind: 'restart', outcome: 'failed' });
        log.error({ err: error, service: service.name }, 'restart failed');
        if (!service.node) {
          notifier.notify('SERVICE_RECOVERY_FAILED', label, `${label} did not start again: ${(error as Error).message}; will retry`);
          return;
        }
      }
    }
    // A database node whose data is gone or will not start: its latest backup plus all its WAL.
    const node = service.node!;
    try {
      const address = await this.addressOf(service.name);
      await this.options.restorer.restore({ node, service: service.name, address, backupId: null, targetTime: null, reason: intact ? 'its data directory would not start' : 'its data directory is gone or damaged' });
      this.recoveries.inc({ kind: 'restore', outcome: 'ok' });
    } catch (error) {
      this.recoveries.inc({ kind: 'restore', outcome: 'failed' });
      const message = (error as Error).message;
      this.refused.set(node, message);
      notifier.notify('NODE_RECOVERY_FAILED', node, `${node} could not be restored automatically: ${message}; it stays down until an operator acts (restoreNode)`);
    }
  }

  private async addressOf(name: string): Promise<{ host: string; port: number }> {
    const service = (await this.options.runtime.services()).find((s) => s.name === name);
    const address = service ? postgresAddress(service) : null;
    if (!address) throw new Error(`${name} is not a database node`);
    return address;
  }
}

/** A data directory PostgreSQL can start from: its version file and control file are there. */
export function dataDirectoryIntact(dataDir: string | null): boolean {
  if (!dataDir) return true;
  return fs.existsSync(path.join(dataDir, 'PG_VERSION')) && fs.existsSync(path.join(dataDir, 'global', 'pg_control'));
}
