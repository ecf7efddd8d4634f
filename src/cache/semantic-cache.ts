import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { badInput } from '../errors/safe-error.js';
import type { EventBus, Follower } from '../events/event-bus.js';
import type { CacheSyncEvent, Delivered } from '../events/event-types.js';
import type { Embedder, EmbedderState } from '../embed/embedder.js';
import { ALL_TENANTS_SCOPE } from './cache-keys.js';
import { analyzeEntry, judge, parseAnalysis, serializeAnalysis, type AnalyzedEntry } from './cache-guard.js';
import { defaultPolicy, PolicyStore, type CachePolicy, type CachePolicyChange } from './cache-policy.js';
import { CacheStore, type ScopeCounters, type StoredEntry } from './cache-store.js';
import { LruMap } from '../lru-map.js';
import { LatencyWindow } from './lookup-latency.js';
import { acceptQuestion, normalizedQuestion } from './question-input.js';
import { analyzeQuestion, stemmedWords } from './question-signature.js';
import { analyzeSql, prepareSqlParser, SqlAnalysisError } from './sql-analysis.js';
import { TenantIndex } from './tenant-index.js';

export type CacheOutcome = 'HIT' | 'REBOUND' | 'MISS';

export interface LookupResult {
  cached: CacheOutcome;
  /** Similarity of the entry that answered, or of the nearest one turned down; null when none was near. */
  similarity: number | null;
  entry: StoredEntry | null;
  /** HIT: the cached SQL; REBOUND: the cached SQL with `$n` where the new literals go. */
  sql: string | null;
  /** REBOUND: the new literals, bound as parameters `$1…`. */
  params: string[];
  /** MISS after a near entry was turned down: why (the guard's reason). */
  reason: string | null;
  embedMs: number;
  lookupMs: number;
}

export interface CacheState {
  enabled: boolean;
  /** Why the cache is disabled (null when enabled). */
  reason: string | null;
  /** The embedder's id (null when disabled). */
  embedder: string | null;
}

export interface CacheStatistics extends ScopeCounters {
  entries: number;
  hitRate: number;
  lookupP50Ms: number | null;
  lookupP99Ms: number | null;
}

export interface NewEntry {
  question: string;
  sql: string;
  answer?: unknown;
}

export interface SemanticCacheOptions {
  redis: Redis;
  bus: EventBus;
  embedder: EmbedderState;
  config: Config;
  log: Logger;
  /** Where to register the cache's metrics (a service's registry). */
  registry?: Registry;
  /** Candidates taken from the index per lookup before the guard judges them. */
  candidates?: number;
  /** How often expired entries are swept (ms); 0: never (tests sweep by hand). */
  sweepIntervalMs?: number;
}

const MAX_ANSWER_BYTES = 1_048_576;
const REBUILD_BATCH = 200;
const ANALYSIS_MEMO = 20_000;

/**
 * The semantic cache: entries per scope (a tenant, or `*` for admins across tenants) in Redis,
 * and in this process an HNSW index per scope rebuilt from Redis at start and kept in step with
 * every other process through the event bus (`cache-sync`). A lookup embeds the question, takes
 * the nearest entries above the scope's threshold, and lets the guard decide: HIT, REBOUND or
 * MISS. Any number of processes may open one; each holds its own indexes.
 */
export class SemanticCache {
  private readonly entriesStore: CacheStore;
  private readonly policies: PolicyStore;
  private readonly indexes = new Map<string, TenantIndex>();
  private readonly latency = new Map<string, LatencyWindow>();
  private readonly analyses = new LruMap<string, AnalyzedEntry>(ANALYSIS_MEMO);
  private readonly origin = randomUUID();
  private readonly embedder: Embedder | null;
  private follower: Follower | null = null;
  private indexed: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly lookups: Counter<'result'> | null;
  private readonly lookupSeconds: Histogram | null;

  private constructor(private readonly options: SemanticCacheOptions) {
    this.entriesStore = new CacheStore(options.redis);
    this.policies = new PolicyStore(options.redis, defaultPolicy(options.config));
    this.embedder = options.embedder.enabled ? options.embedder.embedder : null;
    const registers = options.registry ? [options.registry] : [];
    this.lookups = options.registry ? new Counter({ name: 'distrag_cache_lookups_total', help: 'Semantic-cache lookups by result', labelNames: ['result'] as const, registers }) : null;
    this.lookupSeconds = options.registry
      ? new Histogram({ name: 'distrag_cache_lookup_seconds', help: 'Semantic-cache lookup time, embedding excluded', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05], registers })
      : null;
  }

  /**
   * Loads policies, follows the other processes' changes, and rebuilds every scope's index from
   * Redis in the background (`whenIndexed`): a large cache (100k entries take about 30 s here)
   * does not hold up the service's start; until its entry is indexed, a question is a miss.
   */
  static async open(options: SemanticCacheOptions): Promise<SemanticCache> {
    const cache = new SemanticCache(options);
    await prepareSqlParser();
    await cache.policies.load();
    // Follow first (from the current position), then rebuild: nothing stored meanwhile is missed.
    const after = await options.bus.lastId('cache-sync');
    cache.indexed = cache.rebuild({ clear: false }).catch((error: unknown) => options.log.error({ err: error }, 'rebuilding the cache index failed; entries stored from now on are indexed'));
    cache.follower = options.bus.follow({
      kinds: ['cache-sync'],
      after: { 'cache-sync': after },
      onEvents: (events) => cache.applySync(events as Array<Delivered<'cache-sync'>>),
      onResync: async (reason) => {
        options.log.warn({ reason }, 'cache sync lost continuity; rebuilding the indexes from Redis');
        await cache.policies.load();
        await cache.rebuild({ clear: true });
      },
      blockMs: 2_000,
    });
    const sweepMs = options.sweepIntervalMs ?? 30_000;
    if (sweepMs > 0) {
      cache.sweeper = setInterval(() => void cache.sweepExpired().catch((error: unknown) => options.log.warn({ err: error }, 'sweeping expired cache entries failed')), sweepMs);
      cache.sweeper.unref();
    }
    return cache;
  }

  /** Resolves once the index rebuild begun by `open` is done. */
  whenIndexed(): Promise<void> {
    return this.indexed;
  }

  get state(): CacheState {
    const e = this.options.embedder;
    return e.enabled ? { enabled: true, reason: null, embedder: e.embedder.id } : { enabled: false, reason: e.reason, embedder: null };
  }

  policyFor(scope: string): CachePolicy {
    return this.policies.policyFor(scope);
  }

  async setPolicy(scope: string, change: CachePolicyChange): Promise<CachePolicy> {
    const policy = await this.policies.set(scope, change);
    await this.publishSync({ type: 'policy', tenant: scope, at: now() });
    const evicted = await this.entriesStore.evictBeyond(scope, policy.maxEntries);
    await this.forget(scope, evicted);
    return policy;
  }

  async lookup(scope: string, question: string): Promise<LookupResult> {
    const text = acceptQuestion(question, this.options.config.DISTRAG_CACHE_MAX_QUESTION_CHARS);
    const embedder = this.requireEmbedder();
    const embedStarted = performance.now();
    const [vector] = await embedder.embed([text]);
    const embedMs = performance.now() - embedStarted;
    const started = performance.now();
    const policy = this.policies.policyFor(scope);
    const index = this.indexes.get(scope);
    const signature = analyzeQuestion(text);
    const candidates = this.options.candidates ?? 8;
    const vocabulary = index?.vocabulary();
    let nearestRejection: { similarity: number; reason: string } | null = null;
    const judgeInOrder = async (neighbours: Array<{ id: string; similarity: number | (() => number) }>): Promise<LookupResult | null> => {
      const entries = new Map((await this.entriesStore.get(scope, neighbours.map((n) => n.id), { embedding: false })).map((e) => [e.id, e]));
      const nowMs = Date.now();
      for (const neighbour of neighbours) {
        const { id } = neighbour;
        const similarity = () => (typeof neighbour.similarity === 'number' ? neighbour.similarity : neighbour.similarity());
        const entry = entries.get(id);
        if (!entry || (entry.expiresAt !== null && entry.expiresAt <= nowMs)) {
          if (!entry) index?.remove(id); // removed by another process whose event is on its way
          continue;
        }
        const decision = judge(this.analysisOf(entry), signature, policy, vocabulary);
        if (decision.kind === 'REJECT') {
          nearestRejection ??= { similarity: similarity(), reason: decision.reason };
          continue;
        }
        const rebound = decision.kind === 'REBOUND';
        await this.entriesStore.recordHit(scope, id, rebound);
        return { cached: decision.kind, similarity: similarity(), entry, sql: rebound ? decision.sql : entry.sql, params: rebound ? decision.params : [], reason: null, embedMs, lookupMs: 0 };
      }
      return null;
    };
    const neighbours = index?.search(vector!, candidates, policy.threshold) ?? [];
    let answer = neighbours.length > 0 ? await judgeInOrder(neighbours) : null;
    // A question differing only in literals may sit below the threshold ("… named Ann" / "… named
    // Bob"): entries with the same template are candidates too, the guard decides (without the
    // guard, only the threshold does).
    if (!answer && index && policy.rebind && policy.literalGuard && signature.literals.length > 0) {
      const extra = index.withTemplate(signature.template, candidates).filter((id) => !neighbours.some((n) => n.id === id));
      // Their similarity is computed only where it is reported (reading a vector back is not free).
      if (extra.length > 0) answer = await judgeInOrder(extra.map((id) => ({ id, similarity: () => index.similarityTo(id, vector!) })));
    }
    if (answer) return this.finish(scope, started, answer);
    await this.entriesStore.recordMiss(scope);
    const rejection = nearestRejection as { similarity: number; reason: string } | null;
    return this.finish(scope, started, { cached: 'MISS', similarity: rejection?.similarity ?? null, entry: null, sql: null, params: [], reason: rejection?.reason ?? null, embedMs, lookupMs: 0 });
  }

  /** Stores an answered question (replacing the scope's entry for the same question). */
  async store(scope: string, input: NewEntry): Promise<StoredEntry> {
    const question = acceptQuestion(input.question, this.options.config.DISTRAG_CACHE_MAX_QUESTION_CHARS);
    let analysis;
    try {
      analysis = analyzeSql(input.sql);
    } catch (error) {
      if (error instanceof SqlAnalysisError) throw badInput(`the SQL cannot be cached: ${error.message}`);
      throw error;
    }
    const answer = input.answer ?? null;
    if (Buffer.byteLength(JSON.stringify(answer)) > MAX_ANSWER_BYTES) throw badInput(`the answer is larger than ${MAX_ANSWER_BYTES} bytes; it is not cached`);
    const embedder = this.requireEmbedder();
    const [embedding] = await embedder.embed([question]);
    const policy = this.policies.policyFor(scope);
    const createdAt = Date.now();
    const signature = analyzeQuestion(question);
    const entry: StoredEntry = {
      id: entryId(scope, question),
      scope,
      question,
      sql: input.sql,
      tables: analysis.tables,
      words: [...stemmedWords(analysis.schemaWords.join(' '))],
      template: signature.template,
      analysis: serializeAnalysis({ signature, sql: analysis }),
      answer,
      embedding: embedding!,
      embedder: embedder.id,
      createdAt,
      lastHitAt: null,
      hits: 0,
      expiresAt: policy.ttlSeconds > 0 ? createdAt + policy.ttlSeconds * 1000 : null,
    };
    const evicted = await this.entriesStore.put(entry, policy.maxEntries);
    this.indexFor(scope, embedding!.length).add(entry.id, entry.embedding, entry.words, entry.template);
    this.analyses.delete(`${scope}\u0000${entry.id}`);
    await this.publishSync({ type: 'stored', tenant: scope, ids: [entry.id], at: now() });
    await this.forget(scope, evicted);
    return entry;
  }

  /** Removes one scope's entries, or every scope's (null); returns how many. */
  async flush(scope: string | null, reason: string): Promise<number> {
    const scopes = scope === null ? await this.entriesStore.scopes() : [scope];
    let removed = 0;
    for (const s of scopes) {
      const ids = await this.entriesStore.flush(s);
      removed += ids.length;
      this.indexes.delete(s);
      if (ids.length > 0 && scope !== null) await this.publishInvalidated(s, reason, ids.length);
    }
    await this.publishSync({ type: 'flushed', tenant: scope, at: now() });
    if (scope === null) await this.publishInvalidated(null, reason, removed);
    return removed;
  }

  /**
   * Removes the entries whose SQL read `table`: of one tenant (and the admins' cross-tenant
   * scope, whose answers include every tenant's rows), or of every scope (`tenant` null).
   */
  async invalidateTable(table: string, tenant: string | null, reason: string): Promise<number> {
    const scopes = tenant === null ? await this.entriesStore.scopes() : [tenant, ALL_TENANTS_SCOPE];
    let total = 0;
    for (const scope of scopes) {
      const ids = await this.entriesStore.removeReading(scope, table);
      if (ids.length === 0) continue;
      total += ids.length;
      await this.forget(scope, ids);
      if (tenant !== null) await this.publishInvalidated(scope, reason, ids.length);
    }
    if (tenant === null) await this.publishInvalidated(null, reason, total);
    return total;
  }

  async entries(scope: string, limit: number): Promise<StoredEntry[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badInput('limit must be an integer from 1 to 1000');
    return this.entriesStore.recent(scope, limit);
  }

  /** Counters of one scope, or summed over every scope (null). */
  async statistics(scope: string | null): Promise<CacheStatistics> {
    const scopes = scope === null ? await this.entriesStore.scopes() : [scope];
    const sum: ScopeCounters & { entries: number } = { hits: 0, misses: 0, rebinds: 0, evictions: 0, expired: 0, entries: 0 };
    for (const s of scopes) {
      const c = await this.entriesStore.counters(s);
      for (const k of ['hits', 'misses', 'rebinds', 'evictions', 'expired'] as const) sum[k] += c[k];
      sum.entries += await this.entriesStore.count(s);
    }
    const window = scope === null ? mergeWindows([...this.latency.values()]) : this.latency.get(scope);
    const lookups = sum.hits + sum.misses;
    return { ...sum, hitRate: lookups === 0 ? 0 : sum.hits / lookups, lookupP50Ms: window?.percentile(50) ?? null, lookupP99Ms: window?.percentile(99) ?? null };
  }

  /** Entries held by this process's index for a scope (tests and benchmarks). */
  indexedCount(scope: string): number {
    return this.indexes.get(scope)?.size ?? 0;
  }

  async sweepExpired(): Promise<number> {
    let removed = 0;
    for (const scope of await this.entriesStore.scopes()) {
      const ids = await this.entriesStore.sweepExpired(scope);
      removed += ids.length;
      await this.forget(scope, ids);
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.follower?.stop();
  }

  private requireEmbedder(): Embedder {
    if (!this.embedder) throw badInput(`the semantic cache is disabled: ${this.state.reason}`);
    return this.embedder;
  }

  private finish(scope: string, started: number, result: LookupResult): LookupResult {
    const lookupMs = performance.now() - started;
    let window = this.latency.get(scope);
    if (!window) this.latency.set(scope, (window = new LatencyWindow()));
    window.record(lookupMs);
    this.lookups?.inc({ result: result.cached });
    this.lookupSeconds?.observe(lookupMs / 1000);
    return { ...result, lookupMs };
  }

  private analysisOf(entry: StoredEntry): AnalyzedEntry {
    return this.analyses.remember(`${entry.scope}\u0000${entry.id}`, () => parseAnalysis(entry.analysis) ?? analyzeEntry(entry.question, entry.sql));
  }

  private indexFor(scope: string, dimensions: number): TenantIndex {
    let index = this.indexes.get(scope);
    if (!index || index.dimensions !== dimensions) this.indexes.set(scope, (index = new TenantIndex(dimensions)));
    return index;
  }

  /** Drops removed entries from this process's index and tells the others. */
  private async forget(scope: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.indexes.get(scope)?.remove(id);
    await this.publishSync({ type: 'removed', tenant: scope, ids, at: now() });
  }

  /**
   * Indexes every entry in Redis. Without `clear`, entries already indexed (stored or synced while
   * this runs) are kept as they are; one removed meanwhile may come back, and is dropped by the
   * first lookup that finds it gone from Redis.
   */
  private async rebuild(options: { clear: boolean }): Promise<void> {
    const started = performance.now();
    const embedderId = this.embedder?.id;
    if (options.clear) this.indexes.clear();
    if (!embedderId) return;
    let skipped = 0;
    let indexed = 0;
    for (const scope of await this.entriesStore.scopes()) {
      // Small batches: lookups are served between them.
      for await (const batch of this.entriesStore.indexable(scope, REBUILD_BATCH)) {
        for (const entry of batch) {
          if (entry.embedder !== embedderId) skipped++;
          else if (!this.indexes.get(scope)?.has(entry.id)) {
            this.indexFor(scope, entry.embedding.length).add(entry.id, entry.embedding, entry.words, entry.template);
            indexed++;
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    this.options.log.info({ indexed, ms: Math.round(performance.now() - started) }, 'cache index rebuilt from Redis');
    if (skipped > 0) this.options.log.warn({ skipped, embedder: embedderId }, 'cache entries embedded by another model are not searched');
  }

  private async applySync(events: Array<Delivered<'cache-sync'>>): Promise<void> {
    for (const { event } of events) {
      if ('origin' in event && event.origin === this.origin) continue;
      switch (event.type) {
        case 'stored': {
          if (!this.embedder) break;
          for (const entry of await this.entriesStore.get(event.tenant, event.ids)) {
            if (entry.embedder === this.embedder.id) this.indexFor(event.tenant, entry.embedding.length).add(entry.id, entry.embedding, entry.words, entry.template);
            this.analyses.delete(`${event.tenant}\u0000${entry.id}`);
          }
          break;
        }
        case 'removed':
          for (const id of event.ids) this.indexes.get(event.tenant)?.remove(id);
          break;
        case 'flushed':
          if (event.tenant === null) this.indexes.clear();
          else this.indexes.delete(event.tenant);
          break;
        case 'policy':
          await this.policies.load();
          break;
        case 'resync':
          await this.policies.load();
          await this.rebuild({ clear: true });
          break;
      }
    }
  }

  private async publishSync(event: CacheSyncEvent): Promise<void> {
    await this.options.bus.publish('cache-sync', { ...event, origin: this.origin } as CacheSyncEvent);
  }

  private async publishInvalidated(scope: string | null, reason: string, entriesRemoved: number): Promise<void> {
    const tenant = scope === null || scope === ALL_TENANTS_SCOPE ? null : scope;
    await this.options.bus.publish('cache', { type: 'invalidated', tenant, reason, entriesRemoved, at: now() });
  }
}

/** One entry per scope and question (case, spacing and final punctuation aside). */
export function entryId(scope: string, question: string): string {
  return createHash('sha256').update(`${scope}\u0000${normalizedQuestion(question)}`).digest('hex').slice(0, 32);
}

function mergeWindows(windows: LatencyWindow[]): LatencyWindow {
  const merged = new LatencyWindow(windows.length * 1000 || 1);
  for (const w of windows) for (const ms of w.samplesForMerge()) merged.record(ms);
  return merged;
}

const now = () => new Date().toISOString();

