import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { freePorts, isPortFree } from './port-check.js';
import { stopStack } from './stack-control.js';
import { startStack } from './start-stack.js';
import type { StackInfo } from './stack-info.js';

export interface PrivateStack {
  config: Config;
  info: StackInfo;
  stop: () => Promise<void>;
}

const PORT_KEYS = [
  'DISTRAG_GATEWAY_PORT', 'DISTRAG_DATA_PORT', 'DISTRAG_RAG_PORT', 'DISTRAG_CACHE_PORT', 'DISTRAG_CLUSTER_PORT',
  'DISTRAG_PG_PORT', 'DISTRAG_REDIS_PORT', 'DISTRAG_CHROMA_PORT', 'DISTRAG_NGINX_PORT', 'DISTRAG_FEED_PORT',
] as const;

/** Environment for a stack in a fresh temporary home with every port OS-assigned. */
export async function privateStackEnv(prefix: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const env: Record<string, string> = { DISTRAG_HOME: home, DISTRAG_LOG_LEVEL: 'warn' };
  const ports = await freePorts(PORT_KEYS.length + 1);
  for (const [i, key] of PORT_KEYS.entries()) env[key] = String(ports[i]);
  env.DISTRAG_WORKER_PORT_BASE = String(ports[PORT_KEYS.length]);
  // Extra gateways listen on DISTRAG_GATEWAY_PORT + 10, + 11, …: pick a base whose neighbours are free too.
  env.DISTRAG_GATEWAY_PORT = String(await gatewayBase(new Set(ports)));
  return { ...env, ...extra };
}

async function gatewayBase(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [base] = await freePorts(1);
    const extra = Array.from({ length: 6 }, (_, i) => base! + 10 + i);
    if (taken.has(base!) || extra.some((p) => taken.has(p) || p > 65535)) continue;
    if ((await Promise.all(extra.map((p) => isPortFree(p, '127.0.0.1')))).every(Boolean)) return base!;
  }
  throw new Error('could not find free ports for the gateways');
}

/**
 * Starts the whole stack on private ports in a temporary directory (tests and benchmarks);
 * `stop` stops every process and removes the directory.
 */
export async function startPrivateStack(options: { prefix: string; env?: Record<string, string>; workers?: number; gateways?: number; report?: (line: string) => void }): Promise<PrivateStack> {
  const env = await privateStackEnv(options.prefix, options.env);
  const config = loadConfig({ ...process.env, ...env });
  const report = options.report ?? (() => undefined);
  try {
    const info = await startStack({ config, workers: options.workers ?? config.DISTRAG_WORKERS, gateways: options.gateways ?? 1, report });
    return {
      config,
      info,
      stop: async () => {
        await stopStack(config, report);
        fs.rmSync(config.home, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(config.home, { recursive: true, force: true });
    throw error;
  }
}
