import { Redis } from 'ioredis';
import { ForwardedIdentityVerifier, IDENTITY_HEADER } from '../auth/forwarded-identity.js';
import { loadConfig, required } from '../config/config.js';
import { EventBus } from '../events/event-bus.js';
import { closeHttpServer, listen } from '../http/graphql-http-server.js';
import { createServiceHttpServer } from '../http/service-http-server.js';
import { createLogger } from '../log/logger.js';
import { createMetrics } from '../metrics/metrics-registry.js';
import { runUntilSignal } from '../service/run-until-signal.js';
import { ChangeFeed } from './change-feed.js';
import { FeedPositions } from './feed-positions.js';

/** The change-feed process: PostgreSQL's schema and data changes onto the event bus. */
const config = loadConfig();
const log = createLogger('change-feed', config.DISTRAG_LOG_LEVEL);
try {
  const port = required(config.DISTRAG_SERVICE_PORT, 'DISTRAG_SERVICE_PORT');
  const redisUrl = required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL');
  const verifier = new ForwardedIdentityVerifier(required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET'));
  const metrics = createMetrics('change-feed');
  const bus = new EventBus({ url: redisUrl, maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
  const positionsRedis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  positionsRedis.on('error', (error) => log.warn({ err: error }, 'feed position store connection error'));
  const feed = new ChangeFeed({
    url: required(config.DISTRAG_FEED_DATABASE_URL, 'DISTRAG_FEED_DATABASE_URL'),
    schemas: config.dataSchemas,
    tenantColumn: config.DISTRAG_TENANT_COLUMN,
    bus,
    positions: new FeedPositions(positionsRedis),
    log,
    registry: metrics.registry,
    pollMs: 5_000,
  });
  await feed.start();
  const http = createServiceHttpServer({
    metrics,
    readiness: async () => feed.readiness() ?? ((await bus.ping()) ? null : 'the event bus (Redis) is unreachable'),
    mayReadMetrics: (req) => {
      const header = req.headers[IDENTITY_HEADER];
      return verifier.verify(Array.isArray(header) ? header[0] : header)?.role === 'admin';
    },
    routes: { '/status': async () => feed.status() },
  });
  await listen(http, port, config.DISTRAG_HOST);
  log.info({ port, host: config.DISTRAG_HOST }, 'change feed listening');
  runUntilSignal(log, async () => {
    await closeHttpServer(http);
    await feed.stop();
    await bus.close();
    positionsRedis.disconnect();
  });
} catch (error) {
  log.fatal({ err: error }, `change feed failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
