import type { Redis } from 'ioredis';
import type pg from 'pg';
import { cacheKeys } from '../src/cache/cache-keys.js';
import type { SemanticCache } from '../src/cache/semantic-cache.js';
import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import type { EventBus, Follower } from '../src/events/event-bus.js';
import type { CacheEvent } from '../src/events/event-types.js';
import { latencySummary } from './load.js';

export const INVALIDATION_TABLE = 'bench_cache';
/** Tenants written in turn (the table's tenant column, university_id). */
export const INVALIDATION_TENANTS = 10;
/** How long one write may wait for its entry's invalidation before it counts as not invalidated. */
const TIMEOUT_MS = 5_000;
/** Writes in a row without an invalidation after which the run stops: the path is broken, not slow. */
const GIVE_UP_AFTER = 10;

export interface InvalidationRun {
  writes: number;
  /** Writes whose entry's `invalidated` event arrived and whose entry was then gone from Redis. */
  invalidated: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Times the cache's invalidation on a private stack: for each write, an entry whose SQL reads the
 * probe table is stored for the row's tenant (`SemanticCache.store`), then one row of that tenant
 * is inserted by plain SQL (autocommit); the time runs from the INSERT's reply (the COMMIT done)
 * until the stack's cache subgraph, a consumer of the data stream, announces the tenant's entries
 * removed (`cache` event `invalidated`), and Redis is checked to no longer hold the entry.
 */
export class InvalidationProbe {
  private readonly waiting = new Map<string, (arrivedMs: number) => void>();
  private follower: Follower | null = null;
  private id = 0;

  private constructor(
    private readonly cache: SemanticCache,
    private readonly redis: Redis,
    private readonly admin: pg.Pool,
  ) {}

  /** Creates the probe table (under Citus distributed by tenant, co-located with the demo's tables) and follows the `cache` stream. */
  static async start(options: { cache: SemanticCache; bus: EventBus; redis: Redis; admin: pg.Pool; mode: ClusterMode }): Promise<InvalidationProbe> {
    const probe = new InvalidationProbe(options.cache, options.redis, options.admin);
    await options.admin.query(`CREATE TABLE ${INVALIDATION_TABLE} (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))`);
    if (options.mode === 'CITUS') await options.admin.query(`SELECT create_distributed_table($1, 'university_id', colocate_with => 'students')`, [INVALIDATION_TABLE]);
    probe.follower = options.bus.follow({
      kinds: ['cache'],
      after: { cache: await options.bus.lastId('cache') },
      onEvents: (events) => {
        const arrivedMs = performance.now();
        for (const { event } of events) {
          const e = event as CacheEvent;
          if (e.type !== 'invalidated' || e.tenant === null || e.entriesRemoved === 0) continue;
          const resolve = probe.waiting.get(e.tenant);
          probe.waiting.delete(e.tenant);
          resolve?.(arrivedMs);
        }
      },
      onResync: () => undefined,
      blockMs: 1_000,
    });
    return probe;
  }

  /** `writes` writes one after another, tenant after tenant. */
  async run(writes: number): Promise<InvalidationRun> {
    const latencies: number[] = [];
    let failedInARow = 0;
    for (let i = 0; i < writes; i++) {
      const latency = await this.write(String(1 + (i % INVALIDATION_TENANTS)));
      if (latency !== null) latencies.push(latency);
      failedInARow = latency === null ? failedInARow + 1 : 0;
      if (failedInARow === GIVE_UP_AFTER) throw new Error(`${GIVE_UP_AFTER} writes in a row without their entry invalidated: is the stack's cache subgraph consuming the data stream?`);
    }
    const { p50Ms, p99Ms } = latencySummary(latencies);
    return { writes, invalidated: latencies.length, p50Ms, p99Ms, maxMs: latencies.length === 0 ? 0 : Math.max(...latencies) };
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }

  /** One write: ms from its COMMIT to its entry's invalidation, or null when the entry stayed (or was gone before). */
  private async write(tenant: string): Promise<number | null> {
    const entry = await this.cache.store(tenant, {
      question: 'How many bench cache rows are there?',
      sql: `SELECT count(*) FROM ${INVALIDATION_TABLE} WHERE university_id = ${tenant}`,
      answer: [{ count: this.id }],
    });
    const key = cacheKeys.entry(tenant, entry.id);
    if (!(await this.redis.exists(key))) return null;
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<number | null>((resolve) => {
      this.waiting.set(tenant, resolve);
      timer = setTimeout(() => resolve(null), TIMEOUT_MS);
    });
    await this.admin.query(`INSERT INTO ${INVALIDATION_TABLE} (university_id, id) VALUES ($1, $2)`, [tenant, ++this.id]);
    const committedMs = performance.now();
    const arrivedMs = await arrived;
    clearTimeout(timer);
    this.waiting.delete(tenant);
    if (arrivedMs === null || (await this.redis.exists(key))) return null;
    return arrivedMs - committedMs;
  }
}
