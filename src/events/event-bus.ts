import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { compareIds } from './event-id.js';
import type { Delivered, EventKind, EventMap } from './event-types.js';

export { compareIds };

export interface EventBusOptions {
  url: string;
  /** Entries each stream keeps (approximately): older ones are trimmed. */
  maxLen: number;
  log: Logger;
}

export interface FollowOptions {
  kinds: EventKind[];
  /** Stream id to read after, per kind; absent: only events published from now on. */
  after?: Partial<Record<EventKind, string>>;
  onEvents: (events: Delivered[]) => void | Promise<void>;
  /** Continuity could not be proven (the bus restarted, or events were trimmed before being read). */
  onResync: (reason: string, kinds: EventKind[]) => void | Promise<void>;
  blockMs?: number;
}

export interface Follower {
  stop(): Promise<void>;
}

const FIELD = 'e';

export function streamName(kind: EventKind): string {
  return `distrag:events:${kind}`;
}

/**
 * The one module through which DistRAG publishes and consumes events: one Redis Stream per kind
 * (bounded with MAXLEN ~), entries replayable by id, followed with blocking reads on a
 * connection of their own, or consumed by consumer groups for work that must happen once.
 */
export class EventBus {
  private readonly writer: Redis;
  private readonly followers = new Set<Follower>();

  constructor(private readonly options: EventBusOptions) {
    this.writer = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.writer.on('error', (error) => options.log.warn({ err: error }, 'event bus connection error'));
  }

  /** Appends events of one kind, in order; resolves with their ids. */
  async publish<K extends EventKind>(kind: K, ...events: Array<EventMap[K]>): Promise<string[]> {
    if (events.length === 0) return [];
    const pipeline = this.writer.pipeline();
    for (const event of events) pipeline.xadd(streamName(kind), 'MAXLEN', '~', String(this.options.maxLen), '*', FIELD, JSON.stringify(event));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, id]) => {
      if (error) throw error;
      return id as string;
    });
  }

  /** Events of one kind after `afterId` (exclusive), oldest first, at most `limit`. */
  async replay<K extends EventKind>(kind: K, afterId: string, limit = 1000): Promise<Array<Delivered<K>>> {
    const entries = (await this.writer.xrange(streamName(kind), `(${afterId}`, '+', 'COUNT', limit)) as Array<[string, string[]]>;
    return entries.map(([id, fields]) => ({ kind, id, event: decode(fields) as EventMap[K] }));
  }

  /** The id of the newest event of a kind ('0-0' when none). */
  async lastId(kind: EventKind): Promise<string> {
    const [newest] = (await this.writer.xrevrange(streamName(kind), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    return newest?.[0] ?? '0-0';
  }

  /** Reads every event of `kinds` as it is published, on a dedicated connection. */
  follow(options: FollowOptions): Follower {
    const follower = new StreamFollower(this.options, this, options);
    this.followers.add(follower);
    void follower.run().finally(() => this.followers.delete(follower));
    return follower;
  }

  /**
   * Consumes one kind as a member of a consumer group: each event goes to one member, is
   * acknowledged once `handle` resolves, and is redelivered (to this consumer, after a restart)
   * when it did not.
   */
  consumeGroup<K extends EventKind>(kind: K, group: string, consumer: string, handle: (event: Delivered<K>) => Promise<void>): Follower {
    const follower = new GroupConsumer(this.options, kind, group, consumer, handle as (event: Delivered) => Promise<void>);
    this.followers.add(follower);
    void follower.run().finally(() => this.followers.delete(follower));
    return follower;
  }

  async ping(): Promise<boolean> {
    return this.writer.ping().then(() => true, () => false);
  }

  async close(): Promise<void> {
    await Promise.all([...this.followers].map((f) => f.stop()));
    this.writer.disconnect();
  }
}

function decode(fields: string[]): unknown {
  const index = fields.indexOf(FIELD);
  return JSON.parse(fields[index + 1] ?? 'null') as unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Blocking XREAD over several streams; notices reconnections and checks what they may have cost. */
class StreamFollower implements Follower {
  private readonly redis: Redis;
  private stopped = false;
  private reconnected = false;
  private serverRunId: string | null = null;
  private readonly ids = new Map<EventKind, string>();

  constructor(private readonly options: EventBusOptions, private readonly bus: EventBus, private readonly follow: FollowOptions) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: true });
    let readyOnce = false;
    this.redis.on('ready', () => {
      if (readyOnce) this.reconnected = true;
      readyOnce = true;
    });
    this.redis.on('error', (error) => options.log.debug({ err: error }, 'event follower connection error'));
  }

  async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        if (this.ids.size === 0) await this.start();
        if (this.reconnected) await this.checkContinuity();
        const names = this.follow.kinds.map(streamName);
        const ids = this.follow.kinds.map((k) => this.ids.get(k)!);
        const result = (await this.redis.xread('COUNT', 500, 'BLOCK', this.follow.blockMs ?? 5_000, 'STREAMS', ...names, ...ids)) as Array<[string, Array<[string, string[]]>]> | null;
        backoff = 100;
        if (!result) continue;
        const delivered: Delivered[] = [];
        for (const [name, entries] of result) {
          const kind = this.follow.kinds.find((k) => streamName(k) === name)!;
          for (const [id, fields] of entries) {
            this.ids.set(kind, id);
            try {
              delivered.push({ kind, id, event: decode(fields) as Delivered['event'] });
            } catch (error) {
              this.options.log.warn({ err: error, id, kind }, 'unreadable event skipped');
            }
          }
        }
        if (delivered.length > 0) await this.follow.onEvents(delivered);
      } catch (error) {
        if (this.stopped) break;
        this.options.log.warn({ err: error }, 'event bus read failed; retrying');
        this.reconnected = true;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  /** Where to start: the given ids, or the newest event of each stream. */
  private async start(): Promise<void> {
    await this.redis.connect().catch(() => undefined);
    this.serverRunId = await this.runId();
    for (const kind of this.follow.kinds) this.ids.set(kind, this.follow.after?.[kind] ?? (await this.bus.lastId(kind)));
    this.reconnected = false;
  }

  /**
   * After a reconnection: a restarted server may have lost its last writes (AOF fsyncs every
   * second) and a stream may have been trimmed past the last id read. Either way, resync.
   */
  private async checkContinuity(): Promise<void> {
    this.reconnected = false;
    const runId = await this.runId();
    const restarted = this.serverRunId !== null && runId !== this.serverRunId;
    this.serverRunId = runId;
    const trimmed: EventKind[] = [];
    for (const kind of this.follow.kinds) {
      const [oldest] = (await this.redis.xrange(streamName(kind), '-', '+', 'COUNT', 1)) as Array<[string, string[]]>;
      if (oldest && compareIds(oldest[0], this.ids.get(kind)!) > 0 && this.ids.get(kind) !== '0-0') trimmed.push(kind);
    }
    if (restarted) await this.follow.onResync('the event bus restarted; events may have been lost', this.follow.kinds);
    else if (trimmed.length > 0) await this.follow.onResync('events were trimmed before they were read', trimmed);
  }

  private async runId(): Promise<string | null> {
    const info = await this.redis.info('server');
    return /run_id:(\w+)/.exec(info)?.[1] ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
  }
}

class GroupConsumer implements Follower {
  private readonly redis: Redis;
  private stopped = false;

  constructor(
    private readonly options: EventBusOptions,
    private readonly kind: EventKind,
    private readonly group: string,
    private readonly consumer: string,
    private readonly handle: (event: Delivered) => Promise<void>,
  ) {
    this.redis = new Redis(options.url, { maxRetriesPerRequest: null });
    this.redis.on('error', (error) => options.log.debug({ err: error }, 'event group connection error'));
  }

  async run(): Promise<void> {
    const stream = streamName(this.kind);
    let pendingFirst = true;
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.redis.xgroup('CREATE', stream, this.group, '$', 'MKSTREAM').catch((error: Error) => {
          if (!/BUSYGROUP/.test(error.message)) throw error;
        });
        // First our own unacknowledged entries (a crash mid-handling), then new ones.
        const result = (await this.redis.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', 100, 'BLOCK', 5_000, 'STREAMS', stream, pendingFirst ? '0' : '>')) as Array<[string, Array<[string, string[] | null]>]> | null;
        const entries = result?.[0]?.[1] ?? [];
        if (pendingFirst && entries.length === 0) pendingFirst = false;
        for (const [id, fields] of entries) {
          if (fields) await this.handle({ kind: this.kind, id, event: decode(fields) as Delivered['event'] });
          await this.redis.xack(stream, this.group, id);
        }
        backoff = 100;
      } catch (error) {
        if (this.stopped) break;
        // Unacknowledged entries (the one that failed included) are read again first.
        pendingFirst = true;
        this.options.log.warn({ err: error, group: this.group }, 'event group handling failed; retrying');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.redis.disconnect();
  }
}
