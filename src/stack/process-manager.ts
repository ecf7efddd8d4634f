import { CREDENTIAL_SETTINGS } from '../config/config.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkHealth, type HealthCheck } from './health-check.js';
import { isPortFree } from './port-check.js';
import type { RunAs } from './service-user.js';

/** What to start: plain data, so a plan can be printed, tested and recorded. */
export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  host: string;
  port: number;
  health: HealthCheck;
  runAs: RunAs | null;
  /** SIGTERM by default; PostgreSQL uses SIGINT (fast shutdown: clean, keeps every committed write). */
  stopSignal?: NodeJS.Signals;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** A process this manager started and recorded in the state file. */
export interface ManagedProcess {
  name: string;
  pid: number;
  port: number;
  command: string;
  health: HealthCheck;
  logFile: string;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  /** Set while an orderly stop is under way, so watchers do not report the exit as a crash. */
  stopping?: boolean;
  /** How it was started, so that it can be started again (`restart`). */
  spec?: ProcessSpec;
}

export class StartError extends Error {
  override name = 'StartError';
}

/**
 * Starts processes detached (their own session, so a Ctrl-C aimed at the CLI does not hit them
 * before the orderly stop), logs each to `<logDir>/<name>.log`, records pids in a state file, and
 * stops them in reverse order. Used by the CLI and by the test harness alike.
 */
export class ProcessManager {
  constructor(
    private readonly stateFile: string,
    private readonly logDir: string,
    private readonly report: (line: string) => void = () => undefined,
  ) {}

  /**
   * Runs a one-shot step (not recorded: nothing is left running) to its end, its output logged to
   * `<logDir>/<name>.log` and each stderr line reported. Rejects with the step's last stderr line
   * when it fails, or when `signal` aborts it.
   */
  async runToCompletion(step: { name: string; command: string; args: string[]; env?: Record<string, string>; cwd?: string; runAs: RunAs | null }, signal?: AbortSignal): Promise<void> {
    fs.mkdirSync(this.logDir, { recursive: true });
    const log = fs.createWriteStream(path.join(this.logDir, `${step.name}.log`), { flags: 'a' });
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: { ...baseEnv(), ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      ...(step.runAs ? { uid: step.runAs.uid, gid: step.runAs.gid } : {}),
    });
    let lastLine = '';
    let partial = '';
    child.stdout.pipe(log, { end: false });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim() !== '')) {
        lastLine = line;
        this.report(line);
      }
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode));
    }).finally(() => log.end());
    if (partial.trim() !== '') lastLine = partial;
    if (code !== 0) throw new StartError(lastLine || `${step.name} exited with code ${code}`);
  }

  /** Processes recorded in the state file (possibly stale: see `alive`). */
  list(): ManagedProcess[] {
    try {
      return (JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as { processes: ManagedProcess[] }).processes;
    } catch {
      return [];
    }
  }

  /** Recorded processes that still run (pid alive and still the command we started). */
  running(): ManagedProcess[] {
    return this.list().filter(isAlive);
  }

  /** Forgets a state file whose processes are all gone (a crash or reboot left it behind). */
  clearStale(): boolean {
    const recorded = this.list();
    if (recorded.length === 0 || recorded.some(isAlive)) return false;
    fs.rmSync(this.stateFile, { force: true });
    return true;
  }

  /**
   * `keepRecord`: a failed start stays recorded (dead), so that a watchdog retrying it still knows
   * how to start it. `waitFor`: the check that ends the wait, instead of the spec's own (a restart
   * waits for the process to be alive, not for everything it depends on).
   */
  async start(spec: ProcessSpec, options: { keepRecord?: boolean; waitFor?: HealthCheck } = {}): Promise<ManagedProcess> {
    if (!(await isPortFree(spec.port, spec.host))) {
      throw new StartError(`port ${spec.port} (${spec.name}) is already in use by another process; stop it or choose another port (see README, Configuration)`);
    }
    fs.mkdirSync(this.logDir, { recursive: true });
    const logFile = path.join(this.logDir, `${spec.name}.log`);
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...baseEnv(), ...spec.env },
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    fs.closeSync(fd);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new StartError(`could not start ${spec.name}: ${(await spawnError).message}`);
    const managed: ManagedProcess = {
      name: spec.name,
      pid,
      port: spec.port,
      command: spec.command,
      health: spec.health,
      logFile,
      stopSignal: spec.stopSignal ?? 'SIGTERM',
      stopTimeoutMs: spec.stopTimeoutMs ?? 15_000,
      spec,
    };
    // A restarted process keeps its place: `stopAll` stops in reverse start order.
    const recorded = this.list();
    const at = recorded.findIndex((p) => p.name === spec.name);
    this.record(at === -1 ? [...recorded, managed] : recorded.map((p, i) => (i === at ? managed : p)));

    const deadline = Date.now() + (spec.startTimeoutMs ?? 60_000);
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    while (!(await checkHealth(options.waitFor ?? spec.health, 1_000))) {
      if (exitCode !== undefined || Date.now() > deadline) {
        await this.stop(managed, options.keepRecord === true);
        const why = exitCode !== undefined ? `exited with code ${exitCode}` : `was not healthy after ${spec.startTimeoutMs ?? 60_000} ms`;
        throw new StartError(`${spec.name} ${why}; its log ${logFile} ends with: ${tail(logFile)}`);
      }
      await sleep(150);
    }
    this.report(`${spec.name} is up on port ${spec.port} (pid ${pid})`);
    return managed;
  }

  /** Stops a recorded process and starts it again the way it was started (its pid changes). */
  async restart(name: string): Promise<ManagedProcess> {
    const target = this.list().find((p) => p.name === name);
    if (!target?.spec) throw new StartError(`no process named ${name} was started by this manager`);
    await this.stop(target, true);
    return this.start(target.spec);
  }

  /** Stops every recorded process, last started first. */
  async stopAll(): Promise<void> {
    for (const managed of [...this.list()].reverse()) await this.stop(managed);
    fs.rmSync(this.stateFile, { force: true });
  }

  async stop(target: ManagedProcess, keepRecord = false): Promise<void> {
    if (isAlive(target)) {
      this.record(this.list().map((p) => (p.name === target.name ? { ...p, stopping: true } : p)));
      signal(target.pid, target.stopSignal);
      const deadline = Date.now() + target.stopTimeoutMs;
      while (isAlive(target) && Date.now() < deadline) await sleep(100);
      if (isAlive(target)) {
        this.report(`${target.name} did not stop within ${target.stopTimeoutMs} ms; killing it`);
        signal(-target.pid, 'SIGKILL');
        signal(target.pid, 'SIGKILL');
        while (isAlive(target)) await sleep(50);
      }
      this.report(`${target.name} stopped`);
    }
    if (!keepRecord) this.record(this.list().filter((p) => p.name !== target.name));
  }

  private record(processes: ManagedProcess[]): void {
    fs.mkdirSync(path.dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.tmp`;
    // 0600: the recorded specs hold the services' environment, secrets included.
    fs.writeFileSync(tmp, JSON.stringify({ processes }, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.stateFile);
  }
}

export function isAlive(target: Pick<ManagedProcess, 'pid' | 'command'>): boolean {
  try {
    // A zombie or a recycled pid running something else is not ours.
    const stat = fs.readFileSync(`/proc/${target.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    const argv0 = fs.readFileSync(`/proc/${target.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return path.basename(argv0) === path.basename(target.command) || argv0.includes(path.basename(target.command));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * The environment children inherit: ours minus anything that would redirect their config, and
 * minus every credential (a service gets its own through its spec, never the shell's).
 */
function baseEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _n, VITEST: _v, PGPASSWORD: _p, ...rest } = process.env;
  for (const key of CREDENTIAL_SETTINGS) delete rest[key];
  return rest;
}

function tail(file: string, lines = 5): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
    return text.length > 0 ? text.slice(-800) : '(empty)';
  } catch {
    return '(no log)';
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
