import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { isPortFree } from './port-check.js';
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

/**
 * Private stacks take a block of consecutive ports below the kernel's ephemeral range (32768 and
 * up on Linux): ports drawn from that range can be taken meanwhile by any outgoing connection, and
 * workers and extra gateways need neighbours of their base port (worker-2 on base + 1, gateway-2
 * on the gateway port + 10). Layout of a block: the services at +0…+9, workers from +10 (up to 4),
 * the gateway at +14, the backup and recovery processes at +15 and +16, extra gateways at +24…+29.
 */
const BLOCK = 32;
const BLOCKS_FROM = 20_000;
const BLOCK_COUNT = Math.floor((32_768 - BLOCKS_FROM) / BLOCK);
const WORKER_OFFSET = 10;
const GATEWAY_OFFSET = 14;
/** The backup and recovery processes. */
const OPS_OFFSET = 15;

/** Environment for a stack in a fresh temporary home, on a block of free private ports. */
export async function privateStackEnv(prefix: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  // Backups run as in production, but a private stack does not wait for them to be ready nor
  // restore-test them (the recovery tests ask for both): every test stack would pay for it.
  const env: Record<string, string> = { DISTRAG_HOME: home, DISTRAG_LOG_LEVEL: 'warn', DISTRAG_READY_NEEDS_BACKUP: 'false', DISTRAG_BACKUP_RESTORE_TEST: 'false' };
  const start = await freeBlock();
  for (const [i, key] of PORT_KEYS.entries()) env[key] = String(start + i);
  env.DISTRAG_WORKER_PORT_BASE = String(start + WORKER_OFFSET);
  env.DISTRAG_GATEWAY_PORT = String(start + GATEWAY_OFFSET);
  env.DISTRAG_BACKUP_PORT = String(start + OPS_OFFSET);
  env.DISTRAG_RECOVERY_PORT = String(start + OPS_OFFSET + 1);
  return { ...env, ...extra };
}

/** The first port of a block whose every port is free now, chosen at random (concurrent stacks). */
async function freeBlock(): Promise<number> {
  const used = [...PORT_KEYS.keys(), ...[0, 1, 2, 3].map((i) => WORKER_OFFSET + i), GATEWAY_OFFSET, OPS_OFFSET, OPS_OFFSET + 1, ...[0, 1, 2, 3, 4, 5].map((i) => GATEWAY_OFFSET + 10 + i)];
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = BLOCKS_FROM + BLOCK * Math.floor(Math.random() * BLOCK_COUNT);
    if ((await Promise.all(used.map((offset) => isPortFree(start + offset, '127.0.0.1')))).every(Boolean)) return start;
  }
  throw new Error(`could not find ${BLOCK} free ports between ${BLOCKS_FROM} and 32767`);
}

/**
 * Starts the whole stack on private ports in a temporary directory (tests and benchmarks);
 * `stop` stops every process and removes the directory.
 */
export async function startPrivateStack(options: { prefix: string; env?: Record<string, string>; workers?: number; gateways?: number; report?: (line: string) => void }): Promise<PrivateStack> {
  if ((options.workers ?? 0) > 4) throw new Error('a private stack has ports for at most 4 workers');
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
