/**
 * Where the semantic cache keeps things in Redis. A scope's keys share one prefix with a `{…}`
 * hash tag, so a scope's multi-key operations stay on one Redis Cluster slot.
 *
 * - `e:<id>`: HASH of one entry (question, sql, tables, words, answer, emb, embedder, created,
 *   lastHit, hits, expires)
 * - `recency`: ZSET entry id → last use (ms): LRU eviction and listing order
 * - `expiry`: ZSET entry id → expiry time (ms), swept
 * - `t:<schema.table>`: SET of the ids of entries whose SQL read that table
 * - `stats`: HASH hits, misses, rebinds, evictions, expired
 */
const ROOT = 'distrag:cache';

/** The scope of admins asking across tenants (tenant scopes are the tenant keys themselves). */
export const ALL_TENANTS_SCOPE = '*';

export const cacheKeys = {
  /** SET of every scope that has (or had) entries. */
  scopes: `${ROOT}:scopes`,
  /** HASH scope → policy overrides (JSON). */
  policies: `${ROOT}:policies`,
  prefix: (scope: string) => `${ROOT}:{${encodeURIComponent(scope)}}:`,
  entry: (scope: string, id: string) => `${cacheKeys.prefix(scope)}e:${id}`,
  recency: (scope: string) => `${cacheKeys.prefix(scope)}recency`,
  expiry: (scope: string) => `${cacheKeys.prefix(scope)}expiry`,
  table: (scope: string, table: string) => `${cacheKeys.prefix(scope)}t:${table}`,
  stats: (scope: string) => `${cacheKeys.prefix(scope)}stats`,
};
