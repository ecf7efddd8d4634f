import fs from 'node:fs';
import type { Config } from '../config/config.js';
import { checkHealth, type HealthCheck } from './health-check.js';
import { ProcessManager } from './process-manager.js';
import { stackLayout } from './stack-layout.js';
import { readStackInfo, type StackInfo } from './stack-info.js';

export function managerFor(config: Config, report: (line: string) => void = () => undefined): ProcessManager {
  const layout = stackLayout(config.home);
  return new ProcessManager(layout.processesFile, layout.logDir, report);
}

/** `distrag down`: stops everything `up` started, last started first; the data stays. Returns how many were running. */
export async function stopStack(config: Config, report: (line: string) => void): Promise<number> {
  const manager = managerFor(config, report);
  const count = manager.running().length;
  await manager.stopAll();
  fs.rmSync(stackLayout(config.home).stackFile, { force: true });
  return count;
}

export interface StackStatus {
  mode: StackInfo['mode'] | null;
  processes: Array<{ name: string; pid: number; port: number; healthy: boolean }>;
  urls: StackInfo['urls'] | null;
  /** The semantic cache as its process reports it (null when it is not running or did not answer). */
  cache: { enabled: boolean; reason: string | null; embedder: string | null } | null;
  /** The RAG subgraph as its process reports it: its LLM and its schema index (null when not running or silent). */
  rag: { llm: { provider: string; model: string } | null; schemaIndex: { phase: string; tables: number } } | null;
}

/** `distrag status`: every recorded process with a live health check (CONTRACT §2 shape). */
export async function readStackStatus(config: Config): Promise<StackStatus> {
  const layout = stackLayout(config.home);
  const manager = managerFor(config);
  const alive = new Set(manager.running().map((p) => p.pid));
  const recorded = manager.list();
  const processes = await Promise.all(
    recorded.map(async (p) => ({ name: p.name, pid: p.pid, port: p.port, healthy: alive.has(p.pid) && (await checkHealth(p.health, 1_500)) })),
  );
  const info = processes.length > 0 ? readStackInfo(layout.stackFile) : null;
  const live = (name: string) => recorded.find((p) => p.name === name && alive.has(p.pid));
  const [cache, rag] = await Promise.all([readHealthField(live('subgraph-cache')?.health, 'cache'), readHealthField(live('subgraph-rag')?.health, 'rag')]);
  return { mode: info?.mode ?? null, processes, urls: info?.urls ?? null, cache: cache as StackStatus['cache'], rag: rag as StackStatus['rag'] };
}

/**
 * One field of a process's `/healthz` (the cache process says whether the cache is enabled and why
 * not; the RAG process names its LLM and the state of its schema index); null when it does not answer.
 */
async function readHealthField(health: HealthCheck | undefined, field: string): Promise<unknown> {
  if (health?.kind !== 'http') return null;
  try {
    const response = await fetch(new URL('/healthz', health.url), { signal: AbortSignal.timeout(1_500) });
    const body = (await response.json()) as Record<string, unknown>;
    return body[field] ?? null;
  } catch {
    return null;
  }
}
