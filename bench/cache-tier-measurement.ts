import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { SemanticCache, type CacheOutcome } from '../src/cache/semantic-cache.js';
import { prepareSqlParser } from '../src/cache/sql-analysis.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { EventBus } from '../src/events/event-bus.js';
import { createLogger } from '../src/log/logger.js';
import { latencySummary } from './load.js';

/** What the parent asks of a process that opens the cache once: one tier of a tenant's entries. */
export interface TierRequest {
  redisUrl: string;
  scope: string;
  /** Questions asked, one list per kind of lookup; asked in turn, kind after kind. */
  lookups: string[][];
  /** Seconds of timed lookups (all kinds together). */
  seconds: number;
}

export interface LookupFigures {
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  outcomes: Record<CacheOutcome, number>;
}

export interface TierMeasurement {
  /** Entries of the scope in this process's index after `SemanticCache.open`. */
  indexed: number;
  /** Wall time of `SemanticCache.open`: policies, every scope's entries read from Redis into HNSW indexes. */
  openSeconds: number;
  /** Growth of the process's resident memory and of its V8 heap (after full GCs) across the open. */
  rssBytes: number;
  heapBytes: number;
  /** One per kind of lookup, in the request's order. */
  lookups: LookupFigures[];
  /** Round trip of a Redis PING from this process, p50, one PING per turn of lookups. */
  pingP50Ms: number;
}

/**
 * Measures one tier in a process of its own (see `measureCacheTier`), so that its memory grows by
 * the index alone; rejects when the process fails or exits without a measurement.
 */
export function forkCacheTier(request: TierRequest): Promise<TierMeasurement> {
  const child = fork(fileURLToPath(new URL('./cache-tier-process.js', import.meta.url)), [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, DISTRAG_LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let measurement: TierMeasurement | null = null;
    child.once('message', (message) => {
      measurement = message as TierMeasurement;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (measurement) resolve(measurement);
      else reject(new Error(`the cache tier process exited (${signal ?? `code ${code}`}) without a measurement; its errors are above`));
    });
    child.send(request);
  });
}

/**
 * In a fresh process (started with --expose-gc): loads the configured embedder, opens the
 * semantic cache on the tenant's entries in Redis — timing the rebuild of its indexes and the
 * memory it took — then asks the request's questions in turn for `seconds`, after asking each once
 * untimed, and returns `lookupMs` (embedding excluded) and the outcomes per kind, and the round
 * trip of a Redis PING made after each turn.
 */
export async function measureCacheTier(request: TierRequest): Promise<TierMeasurement> {
  const config = loadConfig(process.env);
  const log = createLogger('bench-cache', 'warn');
  const embedder = await loadEmbedder(config, log);
  if (!embedder.enabled) throw new Error(`the semantic cache is disabled: ${embedder.reason}`);
  const redis = new Redis(request.redisUrl, { maxRetriesPerRequest: 2 });
  const bus = new EventBus({ url: request.redisUrl, maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
  let cache: SemanticCache | null = null;
  try {
    // Loaded before the first reading, so that it counts only what opening the cache adds.
    await prepareSqlParser();
    await redis.ping();
    await bus.ping();
    const before = settledMemory();
    const started = performance.now();
    cache = await SemanticCache.open({ redis, bus, embedder, config, log, sweepIntervalMs: 0 });
    await cache.whenIndexed();
    const openSeconds = (performance.now() - started) / 1000;
    const after = settledMemory();

    for (const questions of request.lookups) for (const question of questions) await cache.lookup(request.scope, question);
    const samples = request.lookups.map(() => [] as number[]);
    const outcomes = request.lookups.map((): Record<CacheOutcome, number> => ({ HIT: 0, REBOUND: 0, MISS: 0 }));
    const pings: number[] = [];
    const end = performance.now() + request.seconds * 1000;
    for (let turn = 0; performance.now() < end; turn++) {
      for (const [kind, questions] of request.lookups.entries()) {
        const result = await cache.lookup(request.scope, questions[turn % questions.length]!);
        samples[kind]!.push(result.lookupMs);
        outcomes[kind]![result.cached] += 1;
      }
      const pinged = performance.now();
      await redis.ping();
      pings.push(performance.now() - pinged);
    }
    return {
      indexed: cache.indexedCount(request.scope),
      openSeconds,
      rssBytes: after.rss - before.rss,
      heapBytes: after.heap - before.heap,
      lookups: samples.map((s, kind) => {
        const { p50Ms, p99Ms } = latencySummary(s);
        return { lookups: s.length, p50Ms, p99Ms, outcomes: outcomes[kind]! };
      }),
      pingP50Ms: latencySummary(pings).p50Ms,
    };
  } finally {
    await cache?.close();
    await bus.close();
    redis.disconnect();
    await embedder.embedder.close();
  }
}

/** Resident memory and V8 heap in use after full garbage collections. */
function settledMemory(): { rss: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the cache tier process must run with --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}
