import { createClient, type Client } from 'graphql-ws';
import type { CacheInvalidation, ClusterEvent, DataChange, SchemaChange } from '../generated/subscriptions';

export type LiveKind = 'schema' | 'data' | 'cache' | 'cluster';

/** One event of any of the four subscriptions, in the shape the Live panel lists. */
export interface LiveEvent {
  key: string;
  kind: LiveKind;
  /** The bus position (per stream). */
  id: string;
  at: string;
  receivedAt: number;
  /** What happened: INSERT, CREATE TABLE, NODE_DOWN, … */
  what: string;
  /** The table concerned (`schema.table`), when there is one. */
  table: string | null;
  tenant: string | null;
  detail: string;
  resync: boolean;
}

export type FeedStatus = { state: 'connecting' } | { state: 'live'; since: number } | { state: 'retrying'; reason: string };

interface Stream {
  kind: LiveKind;
  query: string;
  toEvent: (data: Record<string, unknown>) => Omit<LiveEvent, 'key' | 'receivedAt' | 'kind'>;
}

const STREAMS: Stream[] = [
  {
    kind: 'data',
    query: 'subscription ($after: ID) { dataChanged(after: $after) { id table op tenant at node resync reason } }',
    toEvent: (d) => {
      const e = d.dataChanged as DataChange;
      return { id: e.id, at: e.at, what: e.op, table: e.table, tenant: e.tenant ?? null, detail: e.reason ?? (e.node ? `on ${e.node}` : ''), resync: e.resync };
    },
  },
  {
    kind: 'schema',
    query: 'subscription ($after: ID) { schemaChanged(after: $after) { id commandTag objectType objectIdentity at resync reason } }',
    toEvent: (d) => {
      const e = d.schemaChanged as SchemaChange;
      const table = e.objectType === 'table' ? e.objectIdentity : null;
      return { id: e.id, at: e.at, what: e.commandTag, table, tenant: null, detail: e.reason ?? `${e.objectType} ${e.objectIdentity}`, resync: e.resync };
    },
  },
  {
    kind: 'cache',
    query: 'subscription ($after: ID) { cacheInvalidated(after: $after) { id tenant reason entriesRemoved at resync } }',
    toEvent: (d) => {
      const e = d.cacheInvalidated as CacheInvalidation;
      return { id: e.id, at: e.at, what: 'INVALIDATED', table: null, tenant: e.tenant ?? null, detail: `${e.entriesRemoved} entr${e.entriesRemoved === 1 ? 'y' : 'ies'} removed: ${e.reason}`, resync: e.resync };
    },
  },
  {
    kind: 'cluster',
    query: 'subscription ($after: ID) { clusterEvents(after: $after) { id kind node detail at resync } }',
    toEvent: (d) => {
      const e = d.clusterEvents as ClusterEvent;
      return { id: e.id, at: e.at, what: e.kind, table: null, tenant: null, detail: `${e.node ? `${e.node}: ` : ''}${e.detail}`, resync: e.resync };
    },
  },
];

/** Events kept for the Live panel, newest first. */
const KEEP = 1000;

/**
 * The console's one graphql-ws connection to the gateway, opened at sign-in so that events are
 * collected whatever panel is open. When the socket is lost (a gateway restarted behind NGINX) it
 * connects again and subscribes with `after: <last id>` per stream, so nothing published meanwhile
 * is missed or shown twice (graphql-ws's own retry would resubscribe with the first variables).
 * Close code 4401 (token expired or refused) ends it and signs the console out.
 */
export class LiveFeed {
  private events: LiveEvent[] = [];
  private status: FeedStatus = { state: 'connecting' };
  private readonly lastIds = new Map<LiveKind, string>();
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: LiveEvent) => void>();
  private client: Client | null = null;
  private stopped = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly token: string,
    /** The subscriptions this feed opens (cluster events only for admins: the gateway refuses them to others). */
    readonly kinds: readonly LiveKind[],
    private readonly onUnauthenticated: (message: string) => void,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.client?.dispose();
  }

  /** For useSyncExternalStore: the same array until something changes. */
  snapshot = (): LiveEvent[] => this.events;
  statusSnapshot = (): FeedStatus => this.status;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Calls `listener` with each new event (panels refresh on the events that concern them). */
  onEvent(listener: (event: LiveEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  clear(): void {
    this.events = [];
    this.notify();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
    let acknowledged = false;
    const client = createClient({
      url,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      lazy: false,
      keepAlive: 10_000,
      on: {
        connected: () => {
          acknowledged = true;
          this.failures = 0;
          this.setStatus({ state: 'live', since: Date.now() });
        },
        closed: (event) => {
          if (this.client !== client || this.stopped) return;
          const { code, reason } = event as CloseEvent;
          if (code === 4401) {
            this.stop();
            this.onUnauthenticated(reason || 'the token was refused');
            return;
          }
          this.retry(acknowledged ? `connection lost (${code})` : `cannot connect (${code})`);
        },
      },
    });
    this.client = client;
    for (const stream of STREAMS.filter((s) => this.kinds.includes(s.kind))) {
      const after = this.lastIds.get(stream.kind) ?? null;
      client.subscribe<Record<string, unknown>>(
        { query: stream.query, variables: { after } },
        {
          next: (value) => value.data && this.add(stream, value.data),
          error: () => undefined,
          complete: () => undefined,
        },
      );
    }
  }

  private retry(reason: string): void {
    void this.client?.dispose();
    this.client = null;
    this.failures += 1;
    this.setStatus({ state: 'retrying', reason });
    const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures, 6)) * (0.75 + Math.random() / 2);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private add(stream: Stream, data: Record<string, unknown>): void {
    const fields = stream.toEvent(data);
    // One bus entry can become several events (a transaction touching two tables or tenants).
    const key = `${stream.kind}:${fields.id}:${fields.table ?? ''}:${fields.tenant ?? ''}:${fields.what}`;
    const event: LiveEvent = { ...fields, kind: stream.kind, key, receivedAt: Date.now() };
    this.lastIds.set(stream.kind, event.id);
    this.events = [event, ...this.events].slice(0, KEEP);
    for (const listener of this.eventListeners) listener(event);
    this.notify();
  }

  private setStatus(status: FeedStatus): void {
    this.status = status;
    this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
