import type { CacheEntry, Resolvers } from '../../schema/generated/cache-types.js';
import { requireRole } from '../../src/auth/require-role.js';
import type { CachePolicy } from '../../src/cache/cache-policy.js';
import type { StoredEntry } from '../../src/cache/cache-store.js';
import type { SemanticCache } from '../../src/cache/semantic-cache.js';
import { scopeFor, tenantOfScope } from '../../src/cache/cache-scope.js';

/** The cache subgraph's fields (CONTRACT §5 "Cache subgraph") over one SemanticCache. */
export function cacheResolvers(cache: SemanticCache): Resolvers {
  const policyView = (scope: string, policy: CachePolicy) => ({ tenant: tenantOfScope(scope), ...policy });
  return {
    Query: {
      cacheStats: async (_root, { tenant }, { identity }) => {
        const scope = scopeFor(identity, tenant, { allTenants: true });
        const stats = await cache.statistics(scope);
        const state = cache.state;
        return {
          tenant: tenantOfScope(scope),
          enabled: state.enabled,
          disabledReason: state.reason,
          embedder: state.embedder,
          ...stats,
          policy: scope === null ? null : policyView(scope, cache.policyFor(scope)),
        };
      },
      cacheEntries: async (_root, { tenant, limit }, { identity }) => {
        const scope = scopeFor(identity, tenant)!;
        return (await cache.entries(scope, limit ?? 20)).map(entryView);
      },
      cacheLookup: async (_root, { question, tenant }, { identity }) => {
        const scope = scopeFor(identity, tenant)!;
        const result = await cache.lookup(scope, question);
        return { ...result, entry: result.entry ? entryView(result.entry) : null };
      },
    },
    Mutation: {
      flushCache: async (_root, { tenant }, { identity }) => {
        requireRole(identity, 'writer');
        const scope = scopeFor(identity, tenant, { allTenants: true });
        return cache.flush(scope, scope === null ? `flushCache by ${identity.sub} (every tenant)` : `flushCache by ${identity.sub}`);
      },
      setCachePolicy: async (_root, args, { identity }) => {
        requireRole(identity, 'admin');
        const scope = scopeFor(identity, args.tenant)!;
        const policy = await cache.setPolicy(scope, {
          maxEntries: args.maxEntries ?? undefined,
          ttlSeconds: args.ttlSeconds ?? undefined,
          threshold: args.threshold ?? undefined,
          rebind: args.rebind ?? undefined,
          literalGuard: args.literalGuard ?? undefined,
        });
        return policyView(scope, policy);
      },
      storeCacheEntry: async (_root, { question, sql, answer, tenant }, { identity }) => {
        requireRole(identity, 'admin');
        const scope = scopeFor(identity, tenant)!;
        let payload: unknown = null;
        if (answer !== null && answer !== undefined) {
          try {
            payload = JSON.parse(answer);
          } catch {
            payload = answer; // plain text answers are stored as text
          }
        }
        return entryView(await cache.store(scope, { question, sql, answer: payload }));
      },
    },
  };
}

function entryView(entry: StoredEntry): CacheEntry {
  return {
    id: entry.id,
    tenant: tenantOfScope(entry.scope),
    question: entry.question,
    sql: entry.sql,
    tables: entry.tables,
    answer: entry.answer === null ? null : JSON.stringify(entry.answer),
    hits: entry.hits,
    createdAt: new Date(entry.createdAt).toISOString(),
    lastHitAt: entry.lastHitAt === null ? null : new Date(entry.lastHitAt).toISOString(),
    expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString(),
  };
}

