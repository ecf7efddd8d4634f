import type { Logger } from 'pino';
import { compareIds, type EventBus, type Follower } from '../../src/events/event-bus.js';
import { EVENT_KINDS, type Delivered, type EventKind } from '../../src/events/event-types.js';

export interface HubSubscription<K extends EventKind> {
  kind: K;
  /** Replay events after this id first (as far back as the bus keeps them). */
  after?: string;
  /** Which events this subscriber may and wants to receive. */
  accept: (event: Delivered<K>) => boolean;
  /** Events it may have waiting; past that it is too slow and `onOverflow` drops it. */
  bufferLimit: number;
  /** True when the transport itself is backed up (bytes the socket could not send yet). */
  backedUp?: () => boolean;
  onOverflow: () => void;
}

type Listener = (event: Delivered) => void;

/**
 * Fans the event bus out to this gateway's subscribers: one follower reads every stream, each
 * subscriber gets an async iterator with its own bounded queue. Memory stays flat: a subscriber
 * that falls `bufferLimit` events behind is dropped rather than buffered without end. When the bus
 * cannot prove continuity, every subscriber of the kinds concerned receives a `resync`.
 */
export class EventHub {
  private follower: Follower | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly lastIds = new Map<EventKind, string>();

  constructor(private readonly bus: EventBus, private readonly log: Logger) {}

  start(): void {
    this.follower = this.bus.follow({
      kinds: [...EVENT_KINDS],
      onEvents: (events) => {
        for (const event of events) {
          this.lastIds.set(event.kind, event.id);
          for (const listener of this.listeners) listener(event);
        }
      },
      onResync: (reason, kinds) => {
        this.log.warn({ reason, kinds }, 'event bus continuity lost; subscribers get a resync');
        const at = new Date().toISOString();
        for (const kind of kinds) {
          const event = { kind, id: this.lastIds.get(kind) ?? '0-0', event: { type: 'resync', reason, at } } as Delivered;
          for (const listener of this.listeners) listener(event);
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
    this.listeners.clear();
  }

  /** Every event as it arrives (gateway-internal consumers). */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribe<K extends EventKind>(options: HubSubscription<K>): AsyncIterableIterator<Delivered<K>> {
    const queue: Array<Delivered<K>> = [];
    let waiting: ((result: IteratorResult<Delivered<K>>) => void) | null = null;
    let done = false;
    let replaying = options.after !== undefined;
    const held: Array<Delivered<K>> = [];
    let lastReplayed = options.after ?? null;

    const push = (event: Delivered<K>) => {
      if (done || !options.accept(event)) return;
      if (options.backedUp?.()) {
        finish();
        options.onOverflow();
        return;
      }
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: event, done: false });
        return;
      }
      queue.push(event);
      if (queue.length > options.bufferLimit || options.backedUp?.()) {
        finish();
        options.onOverflow();
      }
    };
    // The replay (XRANGE) and the follower (XREAD, another connection) overlap in either order:
    // a live event the replay already passed on is not passed on again.
    const isNew = (event: Delivered<K>) => lastReplayed === null || event.event.type === 'resync' || compareIds(event.id, lastReplayed) > 0;
    const unlisten = this.listen((event) => {
      if (event.kind !== options.kind) return;
      if (replaying) held.push(event as Delivered<K>);
      else if (isNew(event as Delivered<K>)) push(event as Delivered<K>);
    });
    const finish = () => {
      if (done) return;
      done = true;
      unlisten();
      queue.length = 0;
      if (waiting) waiting({ value: undefined, done: true });
      waiting = null;
    };

    if (options.after !== undefined) {
      // Live events that arrive while the replay is read are held, then passed on past it.
      // Half the buffer: room is left for live events while the replay is read.
      const limit = Math.max(1, Math.floor(options.bufferLimit / 2));
      this.bus
        .replay(options.kind, options.after, limit)
        .then((events) => {
          for (const event of events) {
            push(event);
            lastReplayed = event.id;
          }
          // More was missed than a subscriber may have waiting: what lies between cannot be sent.
          if (events.length >= limit) {
            push({ kind: options.kind, id: lastReplayed ?? options.after!, event: { type: 'resync', reason: `more than ${limit} events to replay; some were skipped`, at: new Date().toISOString() } } as Delivered<K>);
          }
        })
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'replay failed; the subscriber gets a resync');
          push({ kind: options.kind, id: options.after!, event: { type: 'resync', reason: 'the events to replay could not be read', at: new Date().toISOString() } } as Delivered<K>);
        })
        .finally(() => {
          replaying = false;
          for (const event of held) if (isNew(event)) push(event);
          held.length = 0;
        });
    }

    return {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (error?: unknown) => {
        finish();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}
