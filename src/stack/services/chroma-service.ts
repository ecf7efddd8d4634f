import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { ProcessSpec } from '../process-manager.js';
import { chownTree, type RunAs } from '../service-user.js';

/** `chroma run` from the chromadb npm package (its bundled native server). */
export function chromaSpec(options: { dir: string; host: string; port: number; runAs: RunAs | null }): ProcessSpec {
  fs.mkdirSync(options.dir, { recursive: true });
  chownTree(options.dir, options.runAs);
  const cli = path.join(projectRoot, 'node_modules', 'chromadb', 'dist', 'cli.mjs');
  return {
    name: 'chroma',
    command: process.execPath,
    args: [cli, 'run', '--path', options.dir, '--host', options.host, '--port', String(options.port)],
    env: { HOME: options.dir, ANONYMIZED_TELEMETRY: 'False' },
    host: options.host,
    port: options.port,
    health: { kind: 'http', url: `http://${options.host}:${options.port}/api/v2/heartbeat` },
    runAs: options.runAs,
    startTimeoutMs: 60_000,
  };
}
