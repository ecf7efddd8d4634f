import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { SemanticCache } from '../src/cache/semantic-cache.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import type { EmbedderState } from '../src/embed/embedder.js';
import { EventBus } from '../src/events/event-bus.js';
import { gqlData } from './support/database.js';

/**
 * The semantic cache as a library, on the shared stack's Redis and event bus — beside the stack's
 * own cache process, which is a second replica holding its own index.
 */
const log = pino({ level: 'silent' });
const opened: Array<{ cache: SemanticCache; bus: EventBus; redis: Redis }> = [];
let embedder: EmbedderState;

async function openCache(env: Record<string, string> = {}, state: EmbedderState = embedder): Promise<SemanticCache> {
  const url = inject('stack').info.urls.redis;
  const redis = new Redis(url);
  const bus = new EventBus({ url, maxLen: 100_000, log });
  const cache = await SemanticCache.open({ redis, bus, embedder: state, config: loadConfig({ ...process.env, ...env }), log, sweepIntervalMs: 0 });
  opened.push({ cache, bus, redis });
  await cache.whenIndexed();
  return cache;
}

async function closeCache(cache: SemanticCache): Promise<void> {
  const i = opened.findIndex((o) => o.cache === cache);
  const [{ bus, redis }] = opened.splice(i, 1) as [{ cache: SemanticCache; bus: EventBus; redis: Redis }];
  await cache.close();
  await bus.close();
  redis.disconnect();
}

const LOOKUP = 'query ($q: String!) { cacheLookup(question: $q) { cached entry { id } } }';
const viaApi = (tenant: string, q: string) => gqlData<{ cacheLookup: { cached: string; entry: { id: string } | null } }>('reader', tenant, LOOKUP, { q }).then((d) => d.cacheLookup);

beforeAll(async () => {
  embedder = await loadEmbedder(loadConfig(), log);
  if (!embedder.enabled) throw new Error(`the local embedder is needed: ${embedder.reason}`);
});
afterAll(async () => {
  for (const { cache } of [...opened]) await closeCache(cache);
  if (embedder?.enabled) await embedder.embedder.close();
});

describe('semantic cache library', () => {
  it('keeps tenants apart', async () => {
    const cache = await openCache();
    await cache.store('lib-a', { question: 'How many courses are offered?', sql: 'SELECT count(*) FROM courses' });
    expect((await cache.lookup('lib-a', 'How many courses are offered?')).cached).toBe('HIT');
    expect((await cache.lookup('lib-b', 'How many courses are offered?')).cached).toBe('MISS');
  });

  it('evicts the least recently used entries beyond maxEntries', async () => {
    const cache = await openCache();
    await cache.setPolicy('lib-evict', { maxEntries: 2 });
    await cache.store('lib-evict', { question: 'How many students are enrolled?', sql: 'SELECT count(*) FROM enrollments' });
    await cache.store('lib-evict', { question: 'List every department name', sql: 'SELECT name FROM departments' });
    // Using the first entry makes the second the least recently used.
    expect((await cache.lookup('lib-evict', 'How many students are enrolled?')).cached).toBe('HIT');
    await cache.store('lib-evict', { question: 'What is the average course credit?', sql: 'SELECT avg(credits) FROM courses' });
    const left = (await cache.entries('lib-evict', 10)).map((e) => e.question);
    expect(left.sort()).toEqual(['How many students are enrolled?', 'What is the average course credit?']);
    expect((await cache.statistics('lib-evict')).evictions).toBe(1);
    expect((await cache.lookup('lib-evict', 'List every department name')).cached).toBe('MISS');
  });

  it('without the guard, the threshold alone decides: a same-template entry below it is not a candidate', async () => {
    const cache = await openCache();
    await cache.setPolicy('lib-noguard', { literalGuard: false, threshold: 0.999 });
    await cache.store('lib-noguard', { question: 'What are the ids of students named "Ann"?', sql: "SELECT student_id FROM students WHERE name = 'Ann'" });
    expect((await cache.lookup('lib-noguard', 'What are the ids of students named "Bob"?')).cached).toBe('MISS');
    await cache.setPolicy('lib-noguard', { literalGuard: true });
    expect((await cache.lookup('lib-noguard', 'What are the ids of students named "Bob"?'))).toMatchObject({ cached: 'REBOUND', params: ['Bob'] });
  });

  it('lets entries expire after their TTL', async () => {
    const cache = await openCache();
    await cache.setPolicy('lib-ttl', { ttlSeconds: 1 });
    const entry = await cache.store('lib-ttl', { question: 'How many universities are there?', sql: 'SELECT count(*) FROM universities' });
    expect(entry.expiresAt).not.toBeNull();
    expect((await cache.lookup('lib-ttl', 'How many universities are there?')).cached).toBe('HIT');
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await cache.lookup('lib-ttl', 'How many universities are there?')).cached).toBe('MISS');
    expect(await cache.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(await cache.entries('lib-ttl', 10)).toEqual([]);
    expect((await cache.statistics('lib-ttl')).expired).toBe(1);
  });

  it('survives a restart: a new process rebuilds its index from Redis', async () => {
    const before = await openCache();
    await before.store('lib-restart', { question: 'Which departments have more than 10 courses?', sql: 'SELECT department_id FROM courses GROUP BY department_id HAVING count(*) > 10' });
    await closeCache(before);
    const after = await openCache();
    expect(after.indexedCount('lib-restart')).toBe(1);
    expect((await after.lookup('lib-restart', 'Which departments have more than 10 courses?')).cached).toBe('HIT');
    // Redis itself keeps the entries on disk (append-only file).
    const redis = new Redis(inject('stack').info.urls.redis);
    try {
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
    }
  });

  it('keeps replicas in step: stored through one, a hit through another within a second; flushed anywhere, gone everywhere', async () => {
    const library = await openCache();
    const stored = await library.store('lib-sync', { question: 'How many enrollments does each course have?', sql: 'SELECT course_id, count(*) FROM enrollments GROUP BY course_id' });
    // The stack's cache process is the other replica.
    await expect.poll(() => viaApi('lib-sync', 'How many enrollments does each course have?'), { timeout: 1_000, interval: 50 }).toMatchObject({ cached: 'HIT', entry: { id: stored.id } });
    await gqlData('writer', 'lib-sync', 'mutation { flushCache }');
    await expect.poll(() => library.indexedCount('lib-sync'), { timeout: 1_000, interval: 50 }).toBe(0);
    expect((await library.lookup('lib-sync', 'How many enrollments does each course have?')).cached).toBe('MISS');
  });

  it('reports itself disabled, and why, when no embedder loads — and refuses lookups clearly', async () => {
    const none = await loadEmbedder(loadConfig({ ...process.env, DISTRAG_EMBEDDER: 'none' }), log);
    expect(none.enabled).toBe(false);
    const cache = await openCache({}, none);
    expect(cache.state).toMatchObject({ enabled: false, embedder: null });
    expect(cache.state.reason).toMatch(/DISTRAG_EMBEDDER=none/);
    await expect(cache.lookup('lib-off', 'How many students?')).rejects.toThrow(/disabled/);
    await expect(cache.store('lib-off', { question: 'How many students?', sql: 'SELECT 1' })).rejects.toThrow(/disabled/);
    expect((await cache.statistics('lib-off')).entries).toBe(0);
  });
});
