import fs from 'node:fs';
import type { Config } from '../config/config.js';
import { checkHealth } from './health-check.js';
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
}

/** `distrag status`: every recorded process with a live health check (CONTRACT §2 shape). */
export async function readStackStatus(config: Config): Promise<StackStatus> {
  const layout = stackLayout(config.home);
  const manager = managerFor(config);
  const alive = new Set(manager.running().map((p) => p.pid));
  const processes = await Promise.all(
    manager.list().map(async (p) => ({ name: p.name, pid: p.pid, port: p.port, healthy: alive.has(p.pid) && (await checkHealth(p.health, 1_500)) })),
  );
  const info = processes.length > 0 ? readStackInfo(layout.stackFile) : null;
  return { mode: info?.mode ?? null, processes, urls: info?.urls ?? null };
}
