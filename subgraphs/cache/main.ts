import { Redis } from 'ioredis';
import type { Resolvers } from '../../schema/generated/cache-types.js';
import { required } from '../../src/config/config.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';

/** Key prefix of semantic-cache entries in Redis (the cache issue fills it). */
export const CACHE_ENTRY_PATTERN = 'distrag:cache:entry:*';

await startSubgraph({
  name: 'cache',
  setup: async (config, log) => {
    const redis = new Redis(required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
    await redis.connect().catch((error: unknown) => log.warn({ err: error }, 'redis not reachable at start'));
    const ping = () => redis.ping().then(() => true, () => false);
    const resolvers: Resolvers = {
      Query: {
        cacheStatus: async () => {
          if (!(await ping())) return { redisReachable: false, entries: 0 };
          return { redisReachable: true, entries: await countEntries(redis) };
        },
      },
    };
    return {
      resolvers,
      readiness: async () => ((await ping()) ? null : 'Redis is unreachable'),
      close: async () => void (await redis.quit().catch(() => undefined)),
    };
  },
});

async function countEntries(redis: Redis): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', CACHE_ENTRY_PATTERN, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}
