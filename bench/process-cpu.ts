import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Config } from '../src/config/config.js';
import { managerFor } from '../src/stack/stack-control.js';

/** Where the CPU time of a load goes: this process generates the load, the rest is the stack's. */
export const CPU_GROUPS = ['load generator', 'gateway', 'data subgraph', 'PostgreSQL', 'rest of the stack'] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];
export type CpuSeconds = Record<CpuGroup, number>;

/**
 * CPU time (user + system) spent so far by each group of the stack's processes — each with its
 * children, such as PostgreSQL's backends — read from /proc, and by this process. Linux only.
 */
export class ProcessCpu {
  private readonly ticksPerSecond = clockTicks();

  private constructor(private readonly roots: Array<{ group: CpuGroup; pid: number }>) {}

  /** The sampler for a running stack's processes, or null where there is no /proc. */
  static forStack(config: Config): ProcessCpu | null {
    if (!fs.existsSync('/proc/self/stat')) return null;
    return new ProcessCpu(managerFor(config).running().map((p) => ({ group: groupOf(p.name), pid: p.pid })));
  }

  sample(): CpuSeconds {
    const stats = readAllStats();
    const children = new Map<number, number[]>();
    for (const [pid, stat] of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
    const seconds: CpuSeconds = { 'load generator': 0, gateway: 0, 'data subgraph': 0, PostgreSQL: 0, 'rest of the stack': 0 };
    for (const root of this.roots) {
      // A process's own time and that of its children it has reaped, plus every live descendant's.
      const queue = [root.pid];
      while (queue.length > 0) {
        const pid = queue.pop()!;
        const stat = stats.get(pid);
        if (stat) seconds[root.group] += stat.ticks / this.ticksPerSecond;
        queue.push(...(children.get(pid) ?? []));
      }
    }
    const self = process.cpuUsage();
    seconds['load generator'] = (self.user + self.system) / 1e6;
    return seconds;
  }
}

/**
 * CPU seconds the whole machine has spent busy so far (every process, every CPU: /proc/stat, less
 * idle and I/O wait), or null without /proc: with the stack's own share, what other work took.
 */
export function machineBusySeconds(): number | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = clockTicks();

/** CPU seconds spent between two samples, per group. */
export function cpuBetween(before: CpuSeconds, after: CpuSeconds): CpuSeconds {
  return Object.fromEntries(CPU_GROUPS.map((g) => [g, after[g] - before[g]])) as CpuSeconds;
}

function groupOf(processName: string): CpuGroup {
  if (processName === 'gateway' || processName.startsWith('gateway-')) return 'gateway';
  if (processName === 'subgraph-data') return 'data subgraph';
  if (processName.startsWith('postgres-')) return 'PostgreSQL';
  return 'rest of the stack';
}

/** Every process's parent and CPU ticks (utime + stime + cutime + cstime, proc(5)). */
function readAllStats(): Map<number, { ppid: number; ticks: number }> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    stats.set(Number(entry), { ppid: Number(fields[1]), ticks });
  }
  return stats;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
