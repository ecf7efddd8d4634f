import fs from 'node:fs';
import path from 'node:path';
import type { ProcessSpec } from '../process-manager.js';
import { chownTree, type RunAs } from '../service-user.js';
import type { Lookup } from '../../../scripts/system-requirements.mjs';
import { findNginxBinary } from './system-binaries.js';
import { nativeTempDirs, renderNginxConf } from '../nginx-conf.js';

/** The NGINX process, or null when nginx is not installed (the gateway is then the entry point). */
export function nginxSpec(options: { dir: string; host: string; port: number; gateways: Array<{ host: string; port: number }>; runAs: RunAs | null; lookup: Lookup }): ProcessSpec | null {
  const binary = findNginxBinary(options.lookup);
  if (!binary) return null;
  for (const dir of Object.values(nativeTempDirs(options.dir))) fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(options.dir, 'nginx.conf');
  fs.writeFileSync(conf, renderNginxConf({ runtime: { kind: 'native', dir: options.dir }, listen: `${options.host}:${options.port}`, gateways: options.gateways }));
  chownTree(options.dir, options.runAs);
  return {
    name: 'nginx',
    command: binary,
    args: ['-c', conf, '-p', options.dir, '-e', 'stderr'],
    host: options.host,
    port: options.port,
    health: { kind: 'http', url: `http://${options.host}:${options.port}/nginx-health` },
    runAs: options.runAs,
    stopSignal: 'SIGQUIT',
    startTimeoutMs: 15_000,
  };
}
