import type { CacheEntry, CachePolicy, CacheStats } from '../../generated/cache';

/** The fields of the cache subgraph the Cache panel shows (schema/cache.graphql). */
export type PolicyView = Omit<CachePolicy, '__typename'>;
export type StatsView = Omit<CacheStats, '__typename' | 'policy'> & { policy: PolicyView | null };
export type EntryView = Omit<CacheEntry, '__typename' | 'sql' | 'answer'>;

export const STATS_QUERY = `query CacheStats($tenant: ID) {
  cacheStats(tenant: $tenant) {
    tenant enabled disabledReason embedder entries hits misses rebinds hitRate evictions expired lookupP50Ms lookupP99Ms
    policy { tenant threshold maxEntries ttlSeconds rebind literalGuard }
  }
}`;

export const ENTRIES_QUERY = `query CacheEntries($tenant: ID) {
  cacheEntries(tenant: $tenant, limit: 50) { id tenant question tables hits createdAt lastHitAt expiresAt }
}`;

export const FLUSH_MUTATION = 'mutation FlushCache($tenant: ID) { flushCache(tenant: $tenant) }';

export const POLICY_MUTATION = `mutation SetCachePolicy($tenant: ID, $threshold: Float, $maxEntries: Int, $ttlSeconds: Int, $rebind: Boolean, $literalGuard: Boolean) {
  setCachePolicy(tenant: $tenant, threshold: $threshold, maxEntries: $maxEntries, ttlSeconds: $ttlSeconds, rebind: $rebind, literalGuard: $literalGuard) {
    tenant threshold maxEntries ttlSeconds rebind literalGuard
  }
}`;
