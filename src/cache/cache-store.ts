import type { Redis } from 'ioredis';
import { cacheKeys } from './cache-keys.js';

/** One cached answer as stored. */
export interface StoredEntry {
  id: string;
  scope: string;
  question: string;
  sql: string;
  /** `schema.table` names the SQL reads. */
  tables: string[];
  /** Words of the table and column names the SQL uses (the guard's vocabulary). */
  words: string[];
  /** The question with its literals masked (entries a question may re-bind share it). */
  template: string;
  /** The guard's analysis of question and SQL (serializeAnalysis), so lookups need not parse the SQL again. */
  analysis: string | null;
  /** The answer payload, JSON. */
  answer: unknown;
  embedding: Float32Array;
  embedder: string;
  createdAt: number;
  lastHitAt: number | null;
  hits: number;
  /** ms since the epoch; null: no expiry. */
  expiresAt: number | null;
}

/** What an in-memory index needs of an entry. */
export interface IndexableEntry {
  id: string;
  embedding: Float32Array;
  embedder: string;
  words: string[];
  template: string;
}

export interface ScopeCounters {
  hits: number;
  misses: number;
  rebinds: number;
  evictions: number;
  expired: number;
}

/**
 * Removes entries and every reference to them, atomically: the entry hash, its recency and
 * expiry ranks, and its id in the sets of the tables it read. Returns the ids actually removed.
 * KEYS: none (all keys share the scope's hash-tagged prefix, ARGV[1]); ARGV[2…]: ids, or with
 * ARGV[2] = '@table' and ARGV[3] = a table: the ids of that table's set.
 */
const REMOVE_SCRIPT = `
local prefix = ARGV[1]
local ids
if ARGV[2] == '@table' then
  ids = redis.call('SMEMBERS', prefix .. 't:' .. ARGV[3])
else
  ids = {}
  for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local removed = {}
for _, id in ipairs(ids) do
  local key = prefix .. 'e:' .. id
  local tables = redis.call('HGET', key, 'tables')
  if tables then
    for _, t in ipairs(cjson.decode(tables)) do redis.call('SREM', prefix .. 't:' .. t, id) end
    redis.call('DEL', key)
    removed[#removed + 1] = id
  end
  redis.call('ZREM', prefix .. 'recency', id)
  redis.call('ZREM', prefix .. 'expiry', id)
end
return removed
`;

/** ARGV: scope prefix, entry id, now (ms), rebound (1/0). An entry removed meanwhile is not recreated. */
const HIT_SCRIPT = `
local prefix, id = ARGV[1], ARGV[2]
redis.call('HINCRBY', prefix .. 'stats', 'hits', 1)
if ARGV[4] == '1' then redis.call('HINCRBY', prefix .. 'stats', 'rebinds', 1) end
local key = prefix .. 'e:' .. id
if redis.call('EXISTS', key) == 1 then
  redis.call('HINCRBY', key, 'hits', 1)
  redis.call('HSET', key, 'lastHit', ARGV[3])
  redis.call('ZADD', prefix .. 'recency', 'XX', ARGV[3], id)
end
return 1
`;

const BATCH = 1000;
/** An entry hash's fields (`question` first: null means the entry is gone). */
const ENTRY_FIELDS = ['question', 'sql', 'tables', 'words', 'template', 'analysis', 'answer', 'emb', 'embedder', 'created', 'lastHit', 'hits', 'expires'];

/** The semantic cache's entries in Redis (durable with AOF); no in-memory state. */
export class CacheStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('distragCacheRemove', { numberOfKeys: 0, lua: REMOVE_SCRIPT });
    redis.defineCommand('distragCacheHit', { numberOfKeys: 0, lua: HIT_SCRIPT });
  }

  /** Stores (or replaces) an entry; returns the ids evicted to stay within `maxEntries`. */
  async put(entry: StoredEntry, maxEntries: number): Promise<string[]> {
    const { scope, id } = entry;
    await this.remove(scope, [id]); // a re-stored question may read other tables now
    const tx = this.redis.multi();
    tx.hset(cacheKeys.entry(scope, id), {
      question: entry.question,
      sql: entry.sql,
      tables: JSON.stringify(entry.tables),
      words: JSON.stringify(entry.words),
      template: entry.template,
      analysis: entry.analysis ?? '',
      answer: JSON.stringify(entry.answer ?? null),
      emb: Buffer.from(entry.embedding.buffer, entry.embedding.byteOffset, entry.embedding.byteLength).toString('base64'),
      embedder: entry.embedder,
      created: String(entry.createdAt),
      lastHit: '',
      hits: '0',
      expires: entry.expiresAt === null ? '' : String(entry.expiresAt),
    });
    tx.zadd(cacheKeys.recency(scope), entry.createdAt, id);
    if (entry.expiresAt !== null) tx.zadd(cacheKeys.expiry(scope), entry.expiresAt, id);
    for (const table of entry.tables) tx.sadd(cacheKeys.table(scope, table), id);
    tx.sadd(cacheKeys.scopes, scope);
    await tx.exec();
    return this.evictBeyond(scope, maxEntries);
  }

  /** Removes the least recently used entries beyond `maxEntries`; returns their ids. */
  async evictBeyond(scope: string, maxEntries: number): Promise<string[]> {
    const excess = (await this.redis.zcard(cacheKeys.recency(scope))) - maxEntries;
    if (excess <= 0) return [];
    const ids = await this.redis.zrange(cacheKeys.recency(scope), 0, excess - 1);
    const removed = await this.remove(scope, ids);
    if (removed.length > 0) await this.redis.hincrby(cacheKeys.stats(scope), 'evictions', removed.length);
    return removed;
  }

  /** Removes entries whose time is up; returns their ids. */
  async sweepExpired(scope: string, now = Date.now()): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(cacheKeys.expiry(scope), '-inf', now, 'LIMIT', 0, BATCH);
    const removed = await this.remove(scope, ids);
    if (removed.length > 0) await this.redis.hincrby(cacheKeys.stats(scope), 'expired', removed.length);
    return removed;
  }

  async remove(scope: string, ids: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < ids.length; i += BATCH) removed.push(...(await this.runRemove(cacheKeys.prefix(scope), ids.slice(i, i + BATCH))));
    return removed;
  }

  /** Removes the scope's entries whose SQL read `table`; returns their ids. */
  async removeReading(scope: string, table: string): Promise<string[]> {
    return this.runRemove(cacheKeys.prefix(scope), ['@table', table]);
  }

  /** Removes every entry of the scope; returns their ids. */
  async flush(scope: string): Promise<string[]> {
    const removed: string[] = [];
    for (;;) {
      const ids = await this.redis.zrange(cacheKeys.recency(scope), 0, BATCH - 1);
      if (ids.length === 0) break;
      removed.push(...(await this.remove(scope, ids)));
    }
    return removed;
  }

  async scopes(): Promise<string[]> {
    return (await this.redis.smembers(cacheKeys.scopes)).sort();
  }

  async count(scope: string): Promise<number> {
    return this.redis.zcard(cacheKeys.recency(scope));
  }

  /**
   * Entries by id (missing ones left out), in the order asked. Without `embedding` the vectors are
   * not read (the largest field): the entries' `embedding` is empty.
   */
  async get(scope: string, ids: readonly string[], options: { embedding: boolean } = { embedding: true }): Promise<StoredEntry[]> {
    if (ids.length === 0) return [];
    const fields = options.embedding ? ENTRY_FIELDS : ENTRY_FIELDS.filter((f) => f !== 'emb');
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(cacheKeys.entry(scope, id), ...fields);
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, values], i) => {
      const list = values as Array<string | null> | null;
      if (error || !list || list[0] === null) return [];
      return [decodeEntry(scope, ids[i]!, Object.fromEntries(fields.map((f, j) => [f, list[j] ?? undefined])) as Record<string, string>)];
    });
  }

  /** The most recently used entries first. */
  async recent(scope: string, limit: number): Promise<StoredEntry[]> {
    return this.get(scope, await this.redis.zrevrange(cacheKeys.recency(scope), 0, limit - 1));
  }

  /** Every entry of a scope, as an index needs it (in batches). */
  async *indexable(scope: string, batchSize = BATCH): AsyncGenerator<IndexableEntry[]> {
    const ids = await this.redis.zrange(cacheKeys.recency(scope), 0, -1);
    for (let i = 0; i < ids.length; i += batchSize) {
      const batch = ids.slice(i, i + batchSize);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hmget(cacheKeys.entry(scope, id), 'emb', 'embedder', 'words', 'template');
      const results = (await pipeline.exec()) ?? [];
      yield results.flatMap(([error, values], j) => {
        const [emb, embedder, words, template] = (values as Array<string | null> | null) ?? [];
        if (error || !emb || !embedder) return [];
        return [{ id: batch[j]!, embedding: decodeEmbedding(emb), embedder, words: JSON.parse(words ?? '[]') as string[], template: template ?? '' }];
      });
    }
  }

  /** Counts a hit (and a re-binding) and marks the entry used — only if it still exists: one round trip. */
  async recordHit(scope: string, id: string, rebound: boolean, now = Date.now()): Promise<void> {
    const run = (this.redis as unknown as { distragCacheHit: (...a: string[]) => Promise<number> }).distragCacheHit;
    await run.call(this.redis, cacheKeys.prefix(scope), id, String(now), rebound ? '1' : '0');
  }

  async recordMiss(scope: string): Promise<void> {
    await this.redis.hincrby(cacheKeys.stats(scope), 'misses', 1);
  }

  async counters(scope: string): Promise<ScopeCounters> {
    const s = await this.redis.hgetall(cacheKeys.stats(scope));
    const n = (k: string) => Number(s[k] ?? 0);
    return { hits: n('hits'), misses: n('misses'), rebinds: n('rebinds'), evictions: n('evictions'), expired: n('expired') };
  }

  private async runRemove(prefix: string, args: string[]): Promise<string[]> {
    if (args.length === 0) return [];
    const run = (this.redis as unknown as { distragCacheRemove: (...a: string[]) => Promise<string[]> }).distragCacheRemove;
    return run.call(this.redis, prefix, ...args);
  }
}

function decodeEntry(scope: string, id: string, f: Record<string, string>): StoredEntry {
  return {
    id,
    scope,
    question: f.question ?? '',
    sql: f.sql ?? '',
    tables: JSON.parse(f.tables ?? '[]') as string[],
    words: JSON.parse(f.words ?? '[]') as string[],
    template: f.template ?? '',
    analysis: f.analysis || null,
    answer: JSON.parse(f.answer ?? 'null') as unknown,
    embedding: decodeEmbedding(f.emb ?? ''),
    embedder: f.embedder ?? '',
    createdAt: Number(f.created),
    lastHitAt: f.lastHit ? Number(f.lastHit) : null,
    hits: Number(f.hits ?? 0),
    expiresAt: f.expires ? Number(f.expires) : null,
  };
}

function decodeEmbedding(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  // Copy into an aligned buffer: a Buffer's offset in its pool need not be a multiple of 4.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
