import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../src/config/config.js';
import { freePort } from '../../src/stack/port-check.js';
import { findPostgresBinaries } from '../../src/stack/postgres-binaries.js';
import { adminUrl, preparePostgresNode } from '../../src/stack/postgres-node.js';
import { ProcessManager } from '../../src/stack/process-manager.js';
import { resolveServiceUser } from '../../src/stack/service-user.js';

/** A PostgreSQL server of the eval's own: `url` connects as its superuser; `stop` stops it and removes its files. */
export interface EvalPostgres {
  url: string;
  stop: () => Promise<void>;
}

/**
 * Starts a throwaway single-node PostgreSQL (the stack's own binaries and node settings, no Citus)
 * in a fresh temporary directory on a free port, so that an eval never touches a running stack's
 * data and leaves nothing behind.
 */
export async function startEvalPostgres(config: Config, report: (line: string) => void = () => undefined): Promise<EvalPostgres> {
  const binaries = findPostgresBinaries(config);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-eval-pg-'));
  // The server runs as the service user when we are root; it must reach its directory.
  fs.chmodSync(home, 0o755);
  const runAs = resolveServiceUser(config.DISTRAG_SERVICE_USER);
  const host = '127.0.0.1';
  const password = randomBytes(18).toString('base64url');
  const passFile = path.join(home, 'pgpass');
  fs.writeFileSync(passFile, '', { mode: 0o600 });
  const manager = new ProcessManager(path.join(home, 'processes.json'), path.join(home, 'logs'));
  fs.mkdirSync(path.join(home, 'logs'));
  const stop = async () => {
    await manager.stopAll();
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    const port = await freePort(host);
    report(`starting a private PostgreSQL ${binaries.major} on port ${port}`);
    await manager.start(preparePostgresNode({ name: 'postgres-eval', dataDir: path.join(home, 'data'), host, port, password, citus: false, binaries, runAs, passFile }));
    return { url: adminUrl({ host, port, password }, 'postgres'), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
