/**
 * The typed events DistRAG passes around on its event bus (Redis Streams), one stream per kind.
 * Every kind can carry a `resync`: its producer or the bus could not prove that nothing was
 * missed, so consumers treat it as "everything may have changed".
 */

export interface ResyncEvent {
  type: 'resync';
  reason: string;
  /** The node whose change stream broke, for data events. */
  node?: string;
  at: string;
}

/** DDL recorded by the event trigger (schema_changes.version orders them). */
export interface DdlEvent {
  type: 'ddl';
  version: number;
  commandTag: string;
  objectType: string;
  objectIdentity: string;
  at: string;
}

/** A subgraph now serves a new schema (the gateway recomposes on it). */
export interface SubgraphSchemaEvent {
  type: 'subgraph-schema';
  subgraph: string;
  version: string;
  at: string;
}

export type SchemaEvent = DdlEvent | SubgraphSchemaEvent | ResyncEvent;

export type DataOp = 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE' | 'MIXED';

/** Rows of one table and tenant changed in one committed transaction (coalesced). */
export interface DataChangeEvent {
  type: 'change';
  /** `schema.table` */
  table: string;
  /** One kind of change, or MIXED when the transaction did several to these rows. */
  op: DataOp;
  /** The tenant-column value; null for reference tables and for TRUNCATE (every tenant). */
  tenant: string | null;
  at: string;
  node: string;
}

export type DataEvent = DataChangeEvent | ResyncEvent;

export interface CacheInvalidatedEvent {
  type: 'invalidated';
  tenant: string | null;
  reason: string;
  entriesRemoved: number;
  at: string;
}

export type CacheEvent = CacheInvalidatedEvent | ResyncEvent;

/**
 * Semantic-cache entries changed in Redis (internal: not a subscription). Every process holding an
 * in-memory index of the entries follows these to stay in step with the others.
 */
export type CacheSyncEvent =
  | ({ type: 'stored'; tenant: string; ids: string[] } & CacheSyncMeta)
  | ({ type: 'removed'; tenant: string; ids: string[] } & CacheSyncMeta)
  | ({ type: 'flushed'; tenant: string | null } & CacheSyncMeta)
  | ({ type: 'policy'; tenant: string | null } & CacheSyncMeta)
  | ResyncEvent;

interface CacheSyncMeta {
  at: string;
  /** The process that made the change (it has applied it already). */
  origin?: string;
}

export interface ClusterNotice {
  type: 'cluster';
  /** NODE_DOWN, NODE_RECOVERED, BACKUP_COMPLETED, BACKUP_FAILED, REBALANCE_PROGRESS, … */
  kind: string;
  node: string | null;
  detail: string;
  at: string;
}

export type ClusterEvent = ClusterNotice | ResyncEvent;

export interface EventMap {
  schema: SchemaEvent;
  data: DataEvent;
  cache: CacheEvent;
  cluster: ClusterEvent;
  'cache-sync': CacheSyncEvent;
}

export type EventKind = keyof EventMap;
/** The kinds served as subscriptions (the gateway follows these); `cache-sync` is internal. */
export const EVENT_KINDS: readonly EventKind[] = ['schema', 'data', 'cache', 'cluster'];

/** An event as read from the bus, with its stream id (replay after it with `after`). */
export interface Delivered<K extends EventKind = EventKind> {
  kind: K;
  id: string;
  event: EventMap[K];
}
