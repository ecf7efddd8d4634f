import { loadConfig, required } from '../src/config/config.js';
import { closeHttpServer, listen } from '../src/http/graphql-http-server.js';
import { createLogger } from '../src/log/logger.js';
import { createMetrics } from '../src/metrics/metrics-registry.js';
import { runUntilSignal } from '../src/service/run-until-signal.js';
import { createGatewayServer } from './create-gateway-server.js';
import { parseSubgraphList } from './supergraph/subgraph-list.js';

const config = loadConfig();
const log = createLogger('gateway', config.DISTRAG_LOG_LEVEL);
try {
  const port = required(config.DISTRAG_SERVICE_PORT, 'DISTRAG_SERVICE_PORT');
  const { http, stop } = await createGatewayServer({
    config,
    log,
    metrics: createMetrics('gateway'),
    subgraphs: parseSubgraphList(required(config.DISTRAG_SUBGRAPHS, 'DISTRAG_SUBGRAPHS')),
    // Without a secret only identity-provider tokens (DISTRAG_JWKS_URL / DISTRAG_JWT_PUBLIC_KEY) are accepted.
    jwtSecret: config.DISTRAG_JWT_SECRET ?? null,
    internalSecret: required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET'),
  });
  await listen(http, port, config.DISTRAG_HOST);
  log.info({ port, host: config.DISTRAG_HOST }, 'gateway listening');
  runUntilSignal(log, async () => {
    await closeHttpServer(http);
    await stop();
  });
} catch (error) {
  log.fatal({ err: error }, `gateway failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
