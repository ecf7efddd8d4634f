import { createClient, type Client } from 'graphql-ws';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import { compareIds } from '../events/event-id.js';

/**
 * A DistRAG subscription (Node.js, over `ws`) that survives lost sockets: a gateway killed behind NGINX, a restart, a
 * socket dropped as too slow (1013), a token expired (4401). When its socket closes it connects
 * again — through NGINX that is another gateway — and subscribes with `after: <last id received>`,
 * so the events published meanwhile are replayed (as far back as the bus keeps them), none twice.
 *
 * graphql-ws's own retry cannot do this: it subscribes again with the variables of the first
 * subscribe, so it would replay from the first `after` (or miss the gap without one).
 *
 * ```ts
 * const sub = new ResumingSubscription<{ dataChanged: { id: string; resync: boolean } }>({
 *   url: 'ws://127.0.0.1:8080/graphql',
 *   query: 'subscription ($after: ID) { dataChanged(after: $after, tables: ["students"]) { id op tenant resync } }',
 *   token: () => currentToken(),
 *   event: (data) => data.dataChanged,
 *   onEvent: (data) => console.log(data.dataChanged),
 * });
 * sub.start();
 * ```
 */
export interface ResumingSubscriptionOptions<T> {
  /** The GraphQL endpoint, `ws(s)://` or `http(s)://` (NGINX, or a gateway). */
  url: string;
  /** A subscription that declares `$after: ID` and passes it on (`dataChanged(after: $after)`). */
  query: string;
  /** Other variables; `after` is set by the subscription. */
  variables?: Record<string, unknown>;
  /** A token for each new connection (asked again on every reconnect, so it may be a fresh one). */
  token: () => string | Promise<string>;
  /** The event's id and whether it is a resync, from one event's `data`. */
  event: (data: T) => { id: string; resync: boolean };
  /**
   * Deliver the events after this id. Without it the first connection starts at the events
   * published from then on, and a socket lost before the first event may lose some: pass the last
   * id you processed (kept across restarts of your process) to miss nothing.
   */
  after?: string;
  /** Each event once, in the bus's order; a resync (`resync: true`) means "everything may have changed". */
  onEvent: (data: T) => void;
  /** The subscription ended for good: a GraphQL error, a refused token or request, too many failed connects. Not called after `close()`. */
  onEnd?: (error: Error) => void;
  /** Wait before reconnect n (n ≥ 1): firstDelayMs × 2^(n-1) up to maxDelayMs, with jitter. */
  retry?: { firstDelayMs?: number; maxDelayMs?: number; maxFailedConnects?: number };
  /**
   * The client pings every keepAliveMs and drops a socket whose pong does not come within
   * pongTimeoutMs (a peer gone silent), or that no gateway acknowledges within keepAliveMs.
   */
  keepAlive?: { keepAliveMs?: number; pongTimeoutMs?: number };
  log?: Logger;
}

/** What happened to the subscription so far. */
export interface ResumingSubscriptionStats {
  /** Connections acknowledged by a gateway. */
  connections: number;
  /** Sockets that closed under the subscription (not by `close()`), with their close codes. */
  closes: Array<{ code: number; reason: string; at: number }>;
  /** Events received again with an id not after the last one delivered (replays overlapping live events): dropped. */
  duplicatesDropped: number;
}

const DEFAULT_RETRY = { firstDelayMs: 100, maxDelayMs: 5_000, maxFailedConnects: 30 };
const DEFAULT_KEEP_ALIVE = { keepAliveMs: 10_000, pongTimeoutMs: 5_000 };
/** Close codes after which connecting again cannot help (graphql-ws: bad request, forbidden, subprotocol, …). */
const FATAL_CLOSE = new Set([4400, 4403, 4406, 4409, 4429]);
/** Unauthorized: tried once more with a new token (an expired one), fatal when that is refused too. */
const UNAUTHORIZED = 4401;

export class ResumingSubscription<T> {
  readonly stats: ResumingSubscriptionStats = { connections: 0, closes: [], duplicatesDropped: 0 };
  private client: Client | null = null;
  /** Bumped per connection: callbacks of a connection given up on are ignored. */
  private generation = 0;
  private lastDelivered: string | undefined;
  private failedConnects = 0;
  private lastCloseCode: number | null = null;
  private acknowledged = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private ended = false;
  private readonly retry: Required<NonNullable<ResumingSubscriptionOptions<T>['retry']>>;
  private readonly keepAlive: Required<NonNullable<ResumingSubscriptionOptions<T>['keepAlive']>>;
  private readonly log: Logger;

  constructor(private readonly options: ResumingSubscriptionOptions<T>) {
    this.lastDelivered = options.after;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.keepAlive = { ...DEFAULT_KEEP_ALIVE, ...options.keepAlive };
    this.log = options.log ?? pino({ level: 'silent' });
  }

  /** The id of the last event delivered: where a new subscription would resume. */
  get lastId(): string | undefined {
    return this.lastDelivered;
  }

  /** True while a gateway has acknowledged the current socket. */
  get connected(): boolean {
    return this.acknowledged;
  }

  start(): void {
    if (this.client || this.reconnectTimer || this.ended) return;
    this.connect();
  }

  /** Unsubscribes and closes the socket; no reconnect, no `onEnd`. */
  async close(): Promise<void> {
    this.ended = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.generation++;
    const client = this.client;
    this.client = null;
    this.acknowledged = false;
    await client?.dispose();
  }

  private connect(): void {
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.ended;
    let pongTimer: NodeJS.Timeout | null = null;
    const client = createClient({
      url: this.options.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: true,
      // Reconnecting is this class's: graphql-ws would subscribe again with the first `after`.
      retryAttempts: 0,
      keepAlive: this.keepAlive.keepAliveMs,
      connectionAckWaitTimeout: this.keepAlive.keepAliveMs,
      connectionParams: async () => ({ authorization: `Bearer ${await this.options.token()}` }),
      on: {
        connected: () => {
          if (!current()) return;
          this.acknowledged = true;
          this.failedConnects = 0;
          this.lastCloseCode = null;
          this.stats.connections++;
          this.log.debug({ connections: this.stats.connections, after: this.lastDelivered }, 'subscription connected');
        },
        ping: (received) => {
          if (received || !current()) return;
          pongTimer = setTimeout(() => client.terminate(), this.keepAlive.pongTimeoutMs);
        },
        pong: (received) => {
          if (received && pongTimer) clearTimeout(pongTimer);
        },
        closed: (event) => {
          if (pongTimer) clearTimeout(pongTimer);
          if (!current()) return;
          const { code, reason } = closeOf(event);
          this.stats.closes.push({ code, reason, at: Date.now() });
          this.connectionLost(code, `socket closed (${code}${reason ? ` ${reason}` : ''})`);
        },
      },
    });
    this.client = client;
    const variables = { ...this.options.variables, ...(this.lastDelivered === undefined ? {} : { after: this.lastDelivered }) };
    client.subscribe<T>(
      { query: this.options.query, variables },
      {
        next: (result) => {
          if (!current()) return;
          if (result.errors?.length) return this.end(new Error(`subscription failed: ${result.errors.map((e) => e.message).join('; ')}`));
          if (result.data) this.deliver(result.data as T);
        },
        error: (error) => {
          if (!current()) return;
          // GraphQL errors come as an array and are final; anything else is the transport failing
          // (a connect refused, a socket closed that `closed` did not report first): connect again.
          if (Array.isArray(error)) return this.end(new Error(`subscription refused: ${error.map((e: { message?: string }) => e.message).join('; ')}`));
          const { code, reason } = closeOf(error);
          this.connectionLost(code, error instanceof Error ? error.message : `connection failed (${code}${reason ? ` ${reason}` : ''})`);
        },
        // The server ended an endless stream: continue from the last event like after a lost socket.
        complete: () => {
          if (current()) this.connectionLost(null, 'completed by the server');
        },
      },
    );
  }

  private deliver(data: T): void {
    const { id, resync } = this.options.event(data);
    const after = this.lastDelivered === undefined ? 1 : compareIds(id, this.lastDelivered);
    if (!resync && after <= 0) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (after > 0) this.lastDelivered = id;
    this.options.onEvent(data);
  }

  private connectionLost(code: number | null, why: string): void {
    const fatal = code !== null && (FATAL_CLOSE.has(code) || (code === UNAUTHORIZED && this.lastCloseCode === UNAUTHORIZED));
    if (!this.acknowledged) this.failedConnects++;
    if (code !== null) this.lastCloseCode = code;
    this.acknowledged = false;
    const client = this.client;
    this.client = null;
    this.generation++;
    void client?.dispose();
    if (fatal) return this.end(new Error(`subscription ended: ${why}`));
    if (this.failedConnects >= this.retry.maxFailedConnects) return this.end(new Error(`subscription ended: ${this.failedConnects} connects failed in a row, the last: ${why}`));
    const delay = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** this.failedConnects) * (0.5 + Math.random() / 2);
    this.log.warn({ why, after: this.lastDelivered, delayMs: Math.round(delay) }, 'subscription lost its socket; resuming');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.ended) this.connect();
    }, delay);
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.log.error({ err: error }, 'subscription ended');
    void this.close();
    this.options.onEnd?.(error);
  }
}

function closeOf(event: unknown): { code: number; reason: string } {
  const e = event as { code?: unknown; reason?: unknown } | null;
  return { code: typeof e?.code === 'number' ? e.code : 1006, reason: typeof e?.reason === 'string' ? e.reason : '' };
}
