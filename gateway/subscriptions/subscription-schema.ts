import fs from 'node:fs';
import path from 'node:path';
import { extendSchema, GraphQLObjectType, GraphQLSchema, parse } from 'graphql';
import type WebSocket from 'ws';
import type { CacheInvalidation, ClusterEvent, DataChange, SchemaChange } from '../../schema/generated/subscriptions-types.js';
import { hasRole, type Identity } from '../../src/auth/identity.js';
import { requireRole } from '../../src/auth/require-role.js';
import type { Delivered, EventKind } from '../../src/events/event-types.js';
import { schemaDir } from '../../src/paths.js';
import type { EventHub } from './event-hub.js';

/** What a subscription operation runs with over the socket. */
export interface SubscriptionContext {
  identity: Identity;
  socket: WebSocket;
}

export interface SubscriptionSchemaOptions {
  hub: EventHub;
  bufferLimit: number;
  /** The first exposed schema: `students` in a `tables` filter means `<it>.students`. */
  defaultSchema: string;
  onSlowSubscriber: () => void;
}

const SDL = fs.readFileSync(path.join(schemaDir, 'subscriptions.graphql'), 'utf8');

/** Bytes queued on a socket (beyond what the kernel took) before its subscriber counts as too slow. */
const MAX_SOCKET_BACKLOG_BYTES = 4 * 1024 * 1024;

/** The supergraph's API schema plus the gateway's own Subscription type, bound to the event hub. */
export function buildSubscriptionSchema(apiSchema: GraphQLSchema, options: SubscriptionSchemaOptions): GraphQLSchema {
  const extended = extendSchema(apiSchema, parse(SDL));
  const subscription = extended.getType('Subscription') as GraphQLObjectType;
  const schema = new GraphQLSchema({ ...extended.toConfig(), subscription });
  const fields = subscription.getFields();

  const stream = <K extends EventKind, T>(kind: K, context: SubscriptionContext, args: { after?: string | null }, accept: (event: Delivered<K>) => boolean, toPayload: (event: Delivered<K>) => T | null) => {
    const events = options.hub.subscribe({
      kind,
      after: args.after ?? undefined,
      bufferLimit: options.bufferLimit,
      // Bytes the socket holds for a client that does not read: bounded as well as events.
      backedUp: () => context.socket.bufferedAmount > MAX_SOCKET_BACKLOG_BYTES,
      accept: (event) => accept(event) && toPayload(event) !== null,
      onOverflow: () => {
        options.onSlowSubscriber();
        // 1013 Try Again Later: this client reads more slowly than events come.
        context.socket.close(1013, 'subscriber too slow: events were dropped; reconnect with `after` to replay');
      },
    });
    return mapIterator(events, (event) => toPayload(event)!);
  };

  const fieldName = { schema: 'schemaChanged', data: 'dataChanged', cache: 'cacheInvalidated', cluster: 'clusterEvents' } as const;
  const bind = (name: string, subscribe: (context: SubscriptionContext, args: Record<string, unknown>) => AsyncIterableIterator<unknown>) => {
    const field = fields[name]!;
    field.subscribe = (_root, args, context: SubscriptionContext) => subscribe(context, args as Record<string, unknown>);
    field.resolve = (payload: unknown) => payload;
  };

  bind(fieldName.schema, (context, args) => stream('schema', context, args, () => true, toSchemaChange));
  bind(fieldName.data, (context, args) => {
    const tables = (args.tables as string[] | null | undefined)?.map((t) => (t.includes('.') ? t : `${options.defaultSchema}.${t}`));
    return stream('data', context, args, (event) => {
      if (event.event.type === 'resync') return true;
      if (tables && !tables.includes(event.event.table)) return false;
      return mayReceiveTenant(context.identity, event.event.tenant);
    }, toDataChange);
  });
  bind(fieldName.cache, (context, args) =>
    stream('cache', context, args, (event) => event.event.type === 'resync' || mayReceiveTenant(context.identity, event.event.tenant), toCacheInvalidation),
  );
  bind(fieldName.cluster, (context, args) => {
    requireRole(context.identity, 'admin');
    return stream('cluster', context, args, () => true, toClusterEvent);
  });
  return schema;
}

/** Tenant tokens receive their tenant's events and those that concern every tenant (null). */
function mayReceiveTenant(identity: Identity, tenant: string | null): boolean {
  return hasRole(identity, 'admin') || tenant === null || tenant === identity.tenant;
}

function toSchemaChange(delivered: Delivered<'schema'>): SchemaChange | null {
  const { id, event } = delivered;
  if (event.type === 'resync') return { id, commandTag: 'RESYNC', objectType: '*', objectIdentity: '*', version: null, at: event.at, resync: true, reason: event.reason };
  if (event.type !== 'ddl') return null; // subgraph-schema: gateway-internal
  return { id, commandTag: event.commandTag, objectType: event.objectType, objectIdentity: event.objectIdentity, version: event.version, at: event.at, resync: false, reason: null };
}

function toDataChange(delivered: Delivered<'data'>): DataChange {
  const { id, event } = delivered;
  if (event.type === 'resync') return { id, table: '*', op: 'RESYNC', tenant: null, at: event.at, node: event.node ?? null, resync: true, reason: event.reason };
  return { id, table: event.table, op: event.op, tenant: event.tenant, at: event.at, node: event.node, resync: false, reason: null };
}

function toCacheInvalidation(delivered: Delivered<'cache'>): CacheInvalidation {
  const { id, event } = delivered;
  if (event.type === 'resync') return { id, tenant: null, reason: event.reason, entriesRemoved: 0, at: event.at, resync: true };
  return { id, tenant: event.tenant, reason: event.reason, entriesRemoved: event.entriesRemoved, at: event.at, resync: false };
}

function toClusterEvent(delivered: Delivered<'cluster'>): ClusterEvent {
  const { id, event } = delivered;
  if (event.type === 'resync') return { id, kind: 'RESYNC', node: null, detail: event.reason, at: event.at, resync: true };
  return { id, kind: event.kind, node: event.node, detail: event.detail, at: event.at, resync: false };
}

function mapIterator<T, U>(source: AsyncIterableIterator<T>, map: (value: T) => U): AsyncIterableIterator<U> {
  return {
    next: async () => {
      const result = await source.next();
      return result.done ? { value: undefined, done: true } : { value: map(result.value), done: false };
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    throw: async (error?: unknown) => {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
