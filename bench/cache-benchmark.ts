import { Redis } from 'ioredis';
import pg from 'pg';
import { CacheStore } from '../src/cache/cache-store.js';
import { SemanticCache } from '../src/cache/semantic-cache.js';
import type { BatchingEmbedder } from '../src/embed/batching-embedder.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { EventBus } from '../src/events/event-bus.js';
import { createLogger } from '../src/log/logger.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import type { BenchOutcome } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { BASE_QUESTIONS, CacheFiller } from './cache-filler.js';
import { cacheProbes, LOOKUP_KINDS } from './cache-probes.js';
import { benchQuestions, TEMPLATE_COUNT } from './cache-questions.js';
import { forkCacheTier } from './cache-tier-measurement.js';
import { timeEmbedding } from './embedding-timing.js';
import { INVALIDATION_TABLE, INVALIDATION_TENANTS, InvalidationProbe } from './invalidation-probe.js';
import type { BenchmarkOptions } from './run-benchmark.js';

/** Entries in the tenant at each tier; the index is opened anew at each. */
const TIERS = [1_000, 10_000, 100_000];
const LOOKUP_SCOPE = 'bench-lookups';
/** Stored questions (real embeddings) among a tier's entries; as many others are asked. */
const PROBES = 64;
/** Sequential plain-SQL writes per run, each invalidating one entry. */
const WRITES = 200;
const EMBED_BATCH = 32;
const SEED_SCALE = 0.1;
const GOAL_LOOKUP_P50_MS = 1;
const GOAL_INVALIDATION_P99_MS = 100;
/** Questions embedded for timing: new texts throughout the process, so none comes from the LRU. */
const EMBED_SEED = 17;
const embedQuestions = benchQuestions(EMBED_SEED);

/**
 * The semantic cache: lookup time without embedding at 1k, 10k and 100k entries in one tenant,
 * the rebuild of the index at start and the memory it holds, the local embedder's time per
 * question, and commit → invalidation latency on a private stack.
 */
export async function cacheBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: String(SEED_SCALE) }), report: options.report });
  const log = createLogger('bench', 'warn');
  const redisUrl = stack.info.urls.redis;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const bus = new EventBus({ url: redisUrl, maxLen: stack.config.DISTRAG_EVENT_STREAM_MAXLEN, log });
  const admin = new pg.Pool({ connectionString: stack.info.urls.postgres, max: 2 });
  let embedder: BatchingEmbedder | null = null;
  let cache: SemanticCache | null = null;
  let invalidation: InvalidationProbe | null = null;
  try {
    const loaded = await loadEmbedder(stack.config, log);
    if (!loaded.enabled) throw new Error(`the semantic cache is disabled: ${loaded.reason}`);
    embedder = loaded.embedder;
    cache = await SemanticCache.open({ redis, bus, embedder: loaded, config: stack.config, log, sweepIntervalMs: 0 });
    await cache.whenIndexed();
    const store = new CacheStore(redis);
    const { maxEntries } = await cache.setPolicy(LOOKUP_SCOPE, { maxEntries: 2 * TIERS.at(-1)! });
    const probes = cacheProbes(PROBES);
    const filler = await CacheFiller.create(embedder, probes.reserved, options.report);
    invalidation = await InvalidationProbe.start({ cache, bus, redis, admin, mode: stack.info.mode });
    await invalidation.run(20); // warm-up: the table's DDL has reached the cache, the paths are warm

    const lookups = new BenchTableBuilder({
      title: null,
      keyColumns: ['entries in the tenant', 'lookup'],
      columns: [{ name: 'lookups', digits: 0 }, { name: 'p50 ms', digits: 3 }, { name: 'p99 ms', digits: 3 }, { name: 'HIT %', digits: 0 }, { name: 'REBOUND %', digits: 0 }, { name: 'MISS %', digits: 0 }, { name: 'Redis PING p50 ms', digits: 3 }],
    });
    const tiers = new BenchTableBuilder({
      title: 'Opening the cache on a tier (index rebuilt from Redis) and the memory it holds',
      keyColumns: ['entries in the tenant'],
      columns: [{ name: 'open s', digits: 2 }, { name: 'entries/s', digits: 0 }, { name: 'process RSS Δ MB', digits: 0 }, { name: 'V8 heap Δ MB', digits: 1 }, { name: 'Redis used_memory Δ MB', digits: 0 }],
    });
    const embedding = new BenchTableBuilder({
      title: `Embedding with the local model (${embedder.id}), in the benchmark process`,
      keyColumns: ['embedding'],
      columns: [{ name: 'questions', digits: 0 }, { name: 'p50 ms per question', digits: 2 }, { name: 'p99 ms per question', digits: 2 }, { name: 'questions/s', digits: 0 }],
    });
    const invalidations = new BenchTableBuilder({
      title: 'Invalidation: COMMIT of a plain SQL write → the stale entry gone from Redis',
      keyColumns: ['writes'],
      columns: [{ name: 'writes', digits: 0 }, { name: 'invalidated', digits: 0 }, { name: 'p50 ms', digits: 1 }, { name: 'p99 ms', digits: 1 }, { name: 'max ms', digits: 1 }],
    });
    const label = (entries: number) => entries.toLocaleString('en-US');
    const nextQuestion = () => embedQuestions.next().value.question;

    for (let run = 1; run <= options.runs; run++) {
      options.report(`run ${run}/${options.runs}: ${WRITES} plain SQL writes, each invalidating one entry`);
      const written = await invalidation.run(WRITES);
      invalidations.add([`single-row INSERT by plain SQL (sequential, ${INVALIDATION_TENANTS} tenants in turn)`], [written.writes, written.invalidated, written.p50Ms, written.p99Ms, written.maxMs]);

      options.report(`run ${run}/${options.runs}: embedding, ${options.duration}s one question per call, then ${options.duration}s ${EMBED_BATCH} per call`);
      const single = await timeEmbedding(embedder, nextQuestion, 1, options.duration);
      const batched = await timeEmbedding(embedder, nextQuestion, EMBED_BATCH, options.duration);
      embedding.add(['one question per call'], [single.questions, single.p50Ms, single.p99Ms, single.questionsPerSecond]);
      embedding.add([`${EMBED_BATCH} questions per call (time per question)`], [batched.questions, batched.p50Ms, batched.p99Ms, batched.questionsPerSecond]);

      await cache.flush(LOOKUP_SCOPE, 'benchmark run');
      filler.restart();
      const redisBefore = await usedMemory(redis);
      for (const probe of probes.stored) await cache.store(LOOKUP_SCOPE, { ...probe, answer: [{ count: 42 }] });
      for (const entries of TIERS) {
        options.report(`run ${run}/${options.runs}: ${label(entries)} entries: filling Redis, then opening the cache in a new process and ${options.duration}s of lookups`);
        await filler.fillTo(store, LOOKUP_SCOPE, entries, maxEntries);
        const redisBytes = (await usedMemory(redis)) - redisBefore;
        const tier = await forkCacheTier({ redisUrl, scope: LOOKUP_SCOPE, lookups: probes.lookups, seconds: options.duration });
        if (tier.indexed !== entries) throw new Error(`the cache indexed ${tier.indexed} of the tenant's ${entries} entries`);
        tiers.add([label(entries)], [tier.openSeconds, entries / tier.openSeconds, tier.rssBytes / 2 ** 20, tier.heapBytes / 2 ** 20, redisBytes / 2 ** 20]);
        for (const [kind, figures] of tier.lookups.entries()) {
          const share = (n: number) => (100 * n) / figures.lookups;
          lookups.add([label(entries), LOOKUP_KINDS[kind]!], [figures.lookups, figures.p50Ms, figures.p99Ms, share(figures.outcomes.HIT), share(figures.outcomes.REBOUND), share(figures.outcomes.MISS), tier.pingP50Ms]);
        }
        options.report(`run ${run}/${options.runs}: ${label(entries)} entries: opened in ${tier.openSeconds.toFixed(1)} s; lookup p50 ${tier.lookups.map((l) => l.p50Ms.toFixed(3)).join(' / ')} ms`);
      }
      await cache.flush(LOOKUP_SCOPE, 'benchmark run');
    }

    const lookupTable = lookups.build();
    const top = label(TIERS.at(-1)!);
    const p50 = lookupTable.columns.findIndex((c) => c.name === 'p50 ms');
    const lookupGoal = lookupTable.rows
      .filter((r) => r.key[0] === top)
      .map((r) => {
        const f = r.figures[p50]!;
        return `${r.key[1]}: ${f.median.toFixed(3)} ms (${f.max <= GOAL_LOOKUP_P50_MS ? 'met in every run' : f.median <= GOAL_LOOKUP_P50_MS ? 'met by the median, not in every run' : 'not met'})`;
      });
    const tierTable = tiers.build();
    const memory = tierTable.rows.find((r) => r.key[0] === top)!.figures;
    const invalidationTable = invalidations.build();
    const [writes, invalidated, , p99] = invalidationTable.rows[0]!.figures;
    const lost = writes!.runs.reduce((sum, w, i) => sum + w - (invalidated!.runs[i] ?? 0), 0);
    return {
      mode: stack.info.mode,
      title: 'Semantic cache (`npx distrag bench cache`)',
      tables: [lookupTable, tierTable, embedding.build(), invalidationTable],
      notes: [
        `Goal ≤ ${GOAL_LOOKUP_P50_MS} ms lookup p50 (embedding excluded) at ${top} entries: ${lookupGoal.join('; ')}.`,
        `Memory for ${top} entries (median of the runs): the process holding the index grew by ${memory[2]!.median.toFixed(0)} MB resident (V8 heap ${memory[3]!.median.toFixed(1)} MB of it), Redis by ${memory[4]!.median.toFixed(0)} MB; opening the cache on them took ${memory[0]!.median.toFixed(1)} s (${memory[1]!.median.toFixed(0)} entries/s).`,
        `Goal ≤ ${GOAL_INVALIDATION_P99_MS} ms invalidation p99: ${p99!.max <= GOAL_INVALIDATION_P99_MS ? 'met in every run' : p99!.median <= GOAL_INVALIDATION_P99_MS ? 'met by the median, not in every run' : 'not met'} (median ${p99!.median.toFixed(1)} ms); writes without a measured invalidation (no event within 5 s, or the entry still in Redis after it), over all runs: ${lost}.`,
      ],
      method: [
        `Lookups: one tenant holds ${TIERS.map(label).join(', then ')} entries; at each tier a new process loads the local embedder, opens the cache (\`SemanticCache.open\` and \`whenIndexed\`: the HNSW index rebuilt from Redis, timed, with the process's resident memory and V8 heap before and after, each after full GCs), asks every question once untimed, then asks ${LOOKUP_KINDS.length} kinds in turn for ${options.duration} s, one lookup at a time: each figure is \`lookupMs\`, which leaves out embedding the question (HNSW search, the candidates fetched from Redis, the guard, the hit or miss recorded in Redis: one after another, a HIT or REBOUND waits for 2 Redis round trips — the candidates, then one script recording the hit — a MISS for 1 or 2). Beside them, the round trip of a Redis PING made from the same process after each turn of lookups. ${PROBES} questions of each kind: "How many students enrolled in the Physics department in 1961?"-like questions stored by \`SemanticCache.store\` and asked again, the same with the next year (the guard may re-bind it), and ${PROBES} generated questions not stored.`,
        `Filler entries: Redis is filled straight through \`CacheStore.put\` (as \`store\` writes entries) with generated questions about the demo schema (${TEMPLATE_COUNT} templates: years, names, GPAs, budgets, …), their SQL, a one-row answer and no expiry. Embedding 100,000 questions would take minutes per run, so a filler entry's vector blends the real embeddings of two of ${BASE_QUESTIONS} generated questions (w·a + (1 − w)·b, w uniform, unit length): vectors that lie among real ones, as close to their nearest neighbours. Random unit vectors would not do: near-orthogonal in 384 dimensions, they are far from every question and make HNSW slower to build and to search than real embeddings do. The same filler every run; the tenant is flushed between runs.`,
        `Memory: Redis \`used_memory\` (INFO memory) with the tier's entries less before the tenant's first entry; the index process's growth across \`SemanticCache.open\` (the embedder and the SQL parser loaded before the first reading). Embedding: the configured embedder as \`loadEmbedder\` wraps it (batching, LRU), every question a new generated text, ${options.duration} s one per call and ${options.duration} s ${EMBED_BATCH} per call (one batch to the model), in the benchmark process.`,
        `Invalidation: ${WRITES} writes per run, one after another after 20 untimed: an entry is stored for tenant N (\`SemanticCache.store\` in the benchmark process, SQL \`SELECT count(*) FROM ${INVALIDATION_TABLE} WHERE university_id = N\`), then one row of tenant N inserted by \`pg\` as admin (autocommit); from the INSERT's reply to the \`cache\` event \`invalidated\` for tenant N reaching the benchmark (the stack's cache subgraph removes the tenant's entries that read the table when the change feed's data event reaches it, then publishes that event); Redis then checked to no longer hold the entry. Under Citus ${INVALIDATION_TABLE} is distributed by university_id (co-located with students): rows and their change events come from the workers.`,
        `\`--connections\` does not apply: lookups and writes run one at a time. Demo data scale ${SEED_SCALE}; the benchmark, the index process, Redis and every PostgreSQL node share the machine's CPUs.`,
      ],
    };
  } finally {
    await invalidation?.stop();
    await cache?.close();
    await embedder?.close();
    await bus.close();
    redis.disconnect();
    await admin.end();
    await stack.stop();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const bytes = /^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1];
  if (bytes === undefined) throw new Error('INFO memory gave no used_memory');
  return Number(bytes);
}
