import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/stack/port-check.js';
import { ProcessManager } from '../../src/stack/process-manager.js';
import { chromaSpec } from '../../src/stack/services/chroma-service.js';

/**
 * A Chroma server of the eval's own (`chroma run` as the stack starts it) on a free port, its data
 * in a temporary directory; `stop` ends it and removes the directory.
 */
export async function startPrivateChroma(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-eval-chroma-'));
  const host = '127.0.0.1';
  const port = await freePort(host);
  const manager = new ProcessManager(path.join(dir, 'processes.json'), path.join(dir, 'logs'));
  try {
    await manager.start(chromaSpec({ dir: path.join(dir, 'data'), host, port, runAs: null }));
  } catch (error) {
    await manager.stopAll().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://${host}:${port}`,
    stop: async () => {
      await manager.stopAll();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
