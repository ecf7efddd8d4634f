import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { startCacheInvalidation } from '../../src/cache/cache-invalidator.js';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import { required } from '../../src/config/config.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { EventBus } from '../../src/events/event-bus.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { cacheResolvers } from './cache-resolvers.js';

await startSubgraph({
  name: 'cache',
  setup: async (config, log, metrics) => {
    const redisUrl = required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL');
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
    const bus = new EventBus({ url: redisUrl, maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
    const embedder = await loadEmbedder(config, log);
    if (embedder.enabled) log.info({ embedder: embedder.embedder.id }, 'semantic cache enabled');
    else log.warn({ reason: embedder.reason }, `semantic cache disabled: ${embedder.reason}`);
    const cache = await SemanticCache.open({ redis, bus, embedder, config, log, registry: metrics.registry });
    // Every cache replica joins one consumer group: each change is invalidated once.
    const consumer = `${hostname()}:${config.DISTRAG_SERVICE_PORT ?? 'cache'}`;
    const invalidation = startCacheInvalidation(cache, bus, consumer, log);
    return {
      resolvers: cacheResolvers(cache),
      readiness: async () => ((await redis.ping().then(() => true, () => false)) ? null : 'Redis is unreachable'),
      health: async () => ({ cache: cache.state }),
      close: async () => {
        await Promise.all(invalidation.map((f) => f.stop()));
        await cache.close();
        await bus.close();
        if (embedder.enabled) await embedder.embedder.close();
        redis.disconnect();
      },
    };
  },
});
