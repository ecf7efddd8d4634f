import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { runPgTool } from './run-pg-tool.js';

/** The application_name the WAL receivers connect with: `synchronous_standby_names` names it (RPO 0). */
export const WAL_RECEIVER_APPLICATION = 'distrag_wal';
/** The physical slot each node keeps for its receiver, so that WAL written while the receiver is away waits for it. */
export const WAL_RECEIVER_SLOT = 'distrag_wal';

export type WalReceiverState = 'connecting' | 'streaming' | 'held' | 'stopped';

export interface WalReceiverOptions {
  node: { name: string; host: string; port: number };
  walDir: string;
  binDir: string;
  /** A replication-capable role (the admin role) and its password. */
  user: string;
  password: string;
  /** `--synchronous`: flush each piece of WAL on receipt and report it at once (RPO 0 with synchronous_standby_names). */
  synchronous: boolean;
  log: Logger;
}

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 2_000;
/** A receiver that ran this long before exiting starts again without backoff. */
const STABLE_MS = 10_000;

/**
 * Keeps one `pg_receivewal` streaming one node's WAL into `walDir`, restarting it at once when it
 * exits (the node restarted, the connection broke): under synchronous commit, every moment without
 * a receiver is a moment the node's commits wait. pg_receivewal's own retry loop sleeps 5 s, so it
 * runs with --no-loop and this supervisor retries with a short backoff instead.
 */
export class WalReceiver {
  private child: ChildProcess | null = null;
  private running = false;
  private held = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastError: string | null = null;
  private startedAt = 0;

  constructor(private readonly options: WalReceiverOptions) {}

  get state(): WalReceiverState {
    if (!this.running) return 'stopped';
    if (this.held) return 'held';
    return this.child && Date.now() - this.startedAt > 500 ? 'streaming' : 'connecting';
  }

  get error(): string | null {
    return this.lastError;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.supervise();
  }

  /** Stops streaming until `release` (the node is being restored; its WAL directory is about to be replaced). */
  async hold(): Promise<void> {
    this.held = true;
    await this.killChild();
  }

  release(): void {
    this.held = false;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.killChild();
    await this.loop;
  }

  private async supervise(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (this.running) {
      if (this.held) {
        await this.sleep(60_000);
        continue;
      }
      const began = Date.now();
      try {
        fs.mkdirSync(this.options.walDir, { recursive: true, mode: 0o700 });
        await runPgTool(this.options.binDir, 'pg_receivewal', [...this.connection(), '--slot', WAL_RECEIVER_SLOT, '--create-slot', '--if-not-exists'], { password: this.options.password });
        if (!this.running || this.held) continue;
        await this.stream();
      } catch (error) {
        this.note((error as Error).message);
      }
      if (Date.now() - began > STABLE_MS) backoff = BACKOFF_MIN_MS;
      await this.sleep(backoff);
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
  }

  /** One pg_receivewal run, until it exits. */
  private stream(): Promise<void> {
    const { options } = this;
    const args = [...this.connection(), '-D', options.walDir, '--slot', WAL_RECEIVER_SLOT, '--no-loop', ...(options.synchronous ? ['--synchronous'] : [])];
    return new Promise((resolve) => {
      const child = spawn(path.join(options.binDir, 'pg_receivewal'), args, {
        env: { ...process.env, PGPASSWORD: options.password, PGCONNECT_TIMEOUT: '5', LC_ALL: 'C' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.child = child;
      this.startedAt = Date.now();
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
      child.once('error', (error) => this.note(`pg_receivewal could not run: ${error.message}`));
      child.once('close', (code, signal) => {
        this.child = null;
        if (this.running && !this.held) {
          const line = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code ?? signal}`;
          this.note(line);
        }
        resolve();
      });
    });
  }

  private connection(): string[] {
    const { node, user } = this.options;
    return ['-d', `host=${node.host} port=${node.port} user=${user} application_name=${WAL_RECEIVER_APPLICATION} connect_timeout=5`, '-w'];
  }

  private note(message: string): void {
    if (message !== this.lastError) this.options.log.warn({ node: this.options.node.name }, `WAL receiver: ${message}`);
    this.lastError = message;
  }

  private async killChild(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const closed = new Promise((resolve) => child.once('close', resolve));
    // SIGINT: pg_receivewal flushes what it has and exits cleanly.
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
