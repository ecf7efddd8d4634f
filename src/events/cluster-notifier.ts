import type { Logger } from 'pino';
import type { EventBus } from './event-bus.js';
import type { ClusterNotice } from './event-types.js';

const MAX_QUEUED = 1_000;
const RETRY_MS = 500;

/**
 * Publishes `clusterEvents` (NODE_DOWN, BACKUP_COMPLETED, …) in order, holding them while the
 * event bus is unreachable — the watchdog reports a dead Redis and restarts it, and the notices
 * written meanwhile must still arrive. Beyond MAX_QUEUED the oldest are dropped (and logged).
 */
export class ClusterNotifier {
  private readonly queue: ClusterNotice[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly bus: EventBus | null, private readonly log: Logger) {}

  notify(kind: string, node: string | null, detail: string): void {
    this.log.info({ kind, node }, detail);
    if (!this.bus || this.closed) return;
    this.queue.push({ type: 'cluster', kind, node, detail, at: new Date().toISOString() });
    if (this.queue.length > MAX_QUEUED) this.log.warn({ dropped: this.queue.shift()?.kind }, 'cluster notice queue full; dropped the oldest');
    void this.flush();
  }

  /** Resolves once everything queued so far is published (or the bus stayed unreachable for `timeoutMs`). */
  async drain(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.queue.length > 0 && this.bus) {
          await this.bus.publish('cluster', this.queue[0]!);
          this.queue.shift();
        }
      } catch (error) {
        this.log.debug({ err: error }, 'event bus unreachable; cluster notices held');
        if (!this.closed && !this.timer) this.timer = setTimeout(() => ((this.timer = null), void this.flush()), RETRY_MS);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }
}
