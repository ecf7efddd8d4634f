import type { Logger } from 'pino';
import type { EventBus, Follower } from '../events/event-bus.js';
import type { Delivered } from '../events/event-types.js';
import type { SemanticCache } from './semantic-cache.js';

/** Consumer group shared by every process that invalidates: each change is handled once. */
export const INVALIDATION_GROUP = 'cache-invalidation';

/**
 * Keeps cached answers true to the data: a committed change to (table, tenant) removes that
 * tenant's entries whose SQL read the table — and nothing else; DDL on a table removes every
 * tenant's entries that read it; a resync (the change stream cannot prove nothing was missed)
 * or DDL whose effect on answers is unknown flushes everything.
 */
export function startCacheInvalidation(cache: SemanticCache, bus: EventBus, consumer: string, log: Logger): Follower[] {
  const data = bus.consumeGroup('data', INVALIDATION_GROUP, consumer, async ({ event }: Delivered<'data'>) => {
    if (event.type === 'resync') {
      await cache.flush(null, `data changes may have been missed (${event.reason})`);
      return;
    }
    await cache.invalidateTable(event.table, event.tenant, `${event.op} on ${event.table}`);
  });
  const schema = bus.consumeGroup('schema', INVALIDATION_GROUP, consumer, async ({ event }: Delivered<'schema'>) => {
    if (event.type === 'subgraph-schema') return;
    if (event.type === 'resync') {
      await cache.flush(null, `schema changes may have been missed (${event.reason})`);
      return;
    }
    const target = ddlTarget(event.objectType, event.objectIdentity);
    if (target === 'none') return;
    if (target === 'unknown') await cache.flush(null, `${event.commandTag} ${event.objectIdentity}`);
    else await cache.invalidateTable(target, null, `${event.commandTag} ${event.objectIdentity}`);
    log.debug({ commandTag: event.commandTag, objectIdentity: event.objectIdentity }, 'cache invalidated by DDL');
  });
  return [data, schema];
}

/**
 * The table whose answers a DDL command may change: `schema.table`; `none` when answers cannot
 * change (an index); `unknown` when any answer may (a function, a type, a schema, …).
 */
export function ddlTarget(objectType: string, identity: string): string | 'none' | 'unknown' {
  switch (objectType) {
    case 'index':
    case 'sequence':
    case 'statistics object':
      return 'none';
    case 'table':
    case 'view':
    case 'materialized view':
    case 'foreign table':
      return qualifiedPrefix(identity, 2);
    case 'table column':
      return qualifiedPrefix(identity, 2);
    case 'table constraint':
    case 'trigger':
    case 'policy':
    case 'rule': {
      const on = / on (.+)$/.exec(identity)?.[1];
      return on ? qualifiedPrefix(on, 2) : 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** The first `parts` dot-separated parts of an identity (quoted parts kept whole). */
function qualifiedPrefix(identity: string, parts: number): string | 'unknown' {
  const names = identity.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [];
  if (names.length < parts) return 'unknown';
  return names.slice(0, parts).map((n) => (n.startsWith('"') ? n.slice(1, -1).replace(/""/g, '"') : n)).join('.');
}
