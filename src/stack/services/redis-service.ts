import fs from 'node:fs';
import type { Lookup } from '../../../scripts/system-requirements.mjs';
import type { ProcessSpec } from '../process-manager.js';
import { chownTree, type RunAs } from '../service-user.js';
import { findRedisServer } from './system-binaries.js';

/** Redis with AOF on (fsync every second), data in its own directory. */
export function redisSpec(options: { dir: string; host: string; port: number; runAs: RunAs | null; lookup: Lookup }): ProcessSpec {
  fs.mkdirSync(options.dir, { recursive: true });
  chownTree(options.dir, options.runAs);
  return {
    name: 'redis',
    command: findRedisServer(options.lookup),
    args: [
      '--bind', options.host,
      '--port', String(options.port),
      '--dir', options.dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--logfile', '',
    ],
    host: options.host,
    port: options.port,
    health: { kind: 'redis', host: options.host, port: options.port },
    runAs: options.runAs,
    startTimeoutMs: 30_000,
  };
}
