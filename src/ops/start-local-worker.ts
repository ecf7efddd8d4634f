import fs from 'node:fs';
import type { Config } from '../config/config.js';
import { isPortFree } from '../stack/port-check.js';
import { findPostgresBinaries } from '../stack/postgres-binaries.js';
import { preparePostgresNode } from '../stack/postgres-node.js';
import { ProcessManager } from '../stack/process-manager.js';
import { resolveServiceUser } from '../stack/service-user.js';
import { stackLayout } from '../stack/stack-layout.js';

/** How many ports from DISTRAG_WORKER_PORT_BASE a started worker may take (the first free one). */
const PORT_SEARCH = 16;

/**
 * `OpsDeps.startWorker` for the CLI's runtime: a new PostgreSQL worker in the stack's home
 * (`pg/worker-<n>`, the first n with no data directory yet), initialised and configured as `up`
 * configures the others (Citus loaded, the admin user and password, the stack's password file),
 * started through the stack's process manager — recorded with the other processes, so `down`
 * stops it — on `port` or the first free port from DISTRAG_WORKER_PORT_BASE. Resolves once it
 * accepts connections. `up` starts DISTRAG_WORKERS workers: a later `up` starts this one only if
 * that count covers it.
 */
export function localWorkerStarter(config: Config, pgPassword: string, report: (line: string) => void = () => undefined): (port: number | null) => Promise<{ host: string; port: number }> {
  const layout = stackLayout(config.home);
  const host = config.DISTRAG_HOST;
  return async (requested) => {
    const manager = new ProcessManager(layout.processesFile, layout.logDir, report);
    const port = requested ?? (await firstFreePort(host, config.DISTRAG_WORKER_PORT_BASE, manager));
    if (!(await isPortFree(port, host))) throw new Error(`port ${port} is in use already; choose another port for the new worker`);
    let n = 1;
    while (fs.existsSync(layout.pgDir(`worker-${n}`)) || manager.list().some((p) => p.name === `postgres-worker-${n}`)) n++;
    const binaries = findPostgresBinaries(config);
    if (!binaries.citusAvailable) throw new Error(`the citus extension is not installed for PostgreSQL ${binaries.major}`);
    await manager.start(preparePostgresNode({
      name: `postgres-worker-${n}`,
      dataDir: layout.pgDir(`worker-${n}`),
      host,
      port,
      password: pgPassword,
      citus: true,
      binaries,
      runAs: resolveServiceUser(config.DISTRAG_SERVICE_USER),
      passFile: layout.passFile,
    }));
    return { host, port };
  };
}

async function firstFreePort(host: string, base: number, manager: ProcessManager): Promise<number> {
  const taken = new Set(manager.list().map((p) => p.port));
  for (let port = base; port < base + PORT_SEARCH && port <= 65_535; port++) {
    if (!taken.has(port) && (await isPortFree(port, host))) return port;
  }
  throw new Error(`no free port from ${base} to ${base + PORT_SEARCH - 1} (DISTRAG_WORKER_PORT_BASE); give addNode a port`);
}
