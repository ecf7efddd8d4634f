import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import type { Logger } from 'pino';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { Counter, Gauge } from 'prom-client';
import { required, type Config } from '../src/config/config.js';
import { EventBus } from '../src/events/event-bus.js';
import { publicErrorFormatter } from '../src/errors/format-public-error.js';
import { createGraphqlHttpServer } from '../src/http/graphql-http-server.js';
import { operationLimits } from '../src/graphql/operation-limits.js';
import { hasRole } from '../src/auth/identity.js';
import { IDENTITY_HEADER } from '../src/auth/forwarded-identity.js';
import type { Metrics } from '../src/metrics/metrics-registry.js';
import { TokenVerifier } from '../src/auth/token-verifier.js';
import { BearerAuthenticator } from './auth/bearer-authenticator.js';
import type { GatewayContext } from './gateway-context.js';
import { gatewayReadiness } from './readiness.js';
import { SubgraphHttpClient } from './subgraph-calls/keep-alive-fetcher.js';
import { GATEWAY_IDENTITY, IdentitySigner, SignedDataSource } from './subgraph-calls/signed-data-source.js';
import type { SubgraphEndpoint } from './supergraph/subgraph-list.js';
import { IntrospectionResponder } from './introspection/introspection-responder.js';
import { SingleSubgraphRouter } from './single-subgraph/single-subgraph-router.js';
import { EventHub } from './subscriptions/event-hub.js';
import { buildSubscriptionSchema } from './subscriptions/subscription-schema.js';
import { attachSubscriptionServer } from './subscriptions/subscription-server.js';
import { SchemaVersionWatcher } from './supergraph/schema-version-watcher.js';
import { SupergraphSource } from './supergraph/supergraph-source.js';
import { createConsoleSite } from './console/console-site.js';
import { benchResultsDir, consoleDir } from '../src/paths.js';

export interface GatewayOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
  subgraphs: SubgraphEndpoint[];
  /** HS256 secret of DistRAG's own tokens; null when only an identity provider's keys are accepted. */
  jwtSecret: string | null;
  internalSecret: string;
}

/** Builds the public gateway: JWT auth, federated execution, health, readiness and metrics. */
export async function createGatewayServer(options: GatewayOptions) {
  const { config, log, metrics, subgraphs } = options;
  const signer = new IdentitySigner(options.internalSecret);
  const authenticator = new BearerAuthenticator(new TokenVerifier({ ...config.tokens, secret: options.jwtSecret }), log);
  const client = new SubgraphHttpClient();
  const gatewayHeaders = () => ({ [IDENTITY_HEADER]: signer.sign(GATEWAY_IDENTITY) });
  const supergraph = new SupergraphSource(subgraphs, gatewayHeaders, log, config.DISTRAG_GATEWAY_STARTUP_TIMEOUT_MS);
  const watcher = new SchemaVersionWatcher(subgraphs, gatewayHeaders, supergraph, log, config.DISTRAG_SCHEMA_POLL_MS);

  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    buildService: ({ name, url }) => new SignedDataSource(name, url ?? '', signer, client),
    logger: log,
  });
  const limits = operationLimits({ maxDepth: config.DISTRAG_MAX_DEPTH, maxFields: config.DISTRAG_MAX_FIELDS });
  const routed = new Counter({
    name: 'distrag_gateway_operations_total',
    help: 'Operations by route: sent whole to the one subgraph that resolves them, or planned by the federation query planner',
    labelNames: ['route'] as const,
    registers: [metrics.registry],
  });
  const router = new SingleSubgraphRouter({ subgraphs, client, signer, validationRules: [limits], log, onRouted: (route) => routed.inc({ route }) });

  // Events: schema changes trigger recomposition; the subscriptions fan them out to clients.
  const bus = new EventBus({ url: required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL'), maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
  const hub = new EventHub(bus, log);
  const slowSubscribers = new Counter({ name: 'distrag_gateway_slow_subscribers_total', help: 'Subscription sockets closed because the client fell too far behind', registers: [metrics.registry] });
  const sockets = new Gauge({ name: 'distrag_gateway_subscription_sockets', help: 'Open graphql-ws sockets', registers: [metrics.registry] });
  let subscriptionSchema: GraphQLSchema | null = null;
  const introspection = new IntrospectionResponder([limits]);
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    router.update(apiSchema, coreSupergraphSdl);
    subscriptionSchema = buildSubscriptionSchema(apiSchema, {
      hub,
      bufferLimit: config.DISTRAG_SUBSCRIPTION_BUFFER,
      defaultSchema: config.dataSchemas[0]!,
      onSlowSubscriber: () => slowSubscribers.inc(),
    });
    introspection.update(subscriptionSchema);
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    // Shutdown is gateway/main.ts's (runUntilSignal), in order: HTTP first, then Apollo.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError: publicErrorFormatter(log),
    validationRules: [limits],
    plugins: [
      // Nothing reports to Apollo GraphOS, even if APOLLO_KEY happens to be set in the environment,
      // and the gateway has no use for inline traces.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // Apollo's cache-control plugin computes a cache policy per request (and hooks every field
      // resolution) only to conclude `no-store`: no subgraph sets cache hints. Answers carry
      // user data, so say `no-store` directly.
      ApolloServerPluginCacheControlDisabled(),
      noStore,
      namedOperationRequired,
      config.DISTRAG_ENV === 'development'
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();
  watcher.start();
  hub.listen((delivered) => {
    // A subgraph serves a new schema, or schema events may have been lost: compare and recompose.
    if (delivered.kind === 'schema' && (delivered.event.type === 'subgraph-schema' || delivered.event.type === 'resync')) void watcher.check();
  });
  hub.start();

  const http = createGraphqlHttpServer<GatewayContext>({
    apollo: () => apollo,
    log,
    metrics,
    maxBodyBytes: config.DISTRAG_MAX_BODY_BYTES,
    corsOrigins: config.corsOrigins,
    readiness: gatewayReadiness(subgraphs, () => supergraph.loaded),
    extraRoutes: createConsoleSite({
      dir: consoleDir,
      benchResultsDir,
      authenticate: (req) => authenticator.authenticate(req),
      sandbox: config.DISTRAG_ENV === 'development',
    }),
    directExecution: async (request) => (config.introspection ? introspection.answer(request.body) : null) ?? router.route(request),
    authenticate: async (req, route) => {
      const result = await authenticator.authenticate(req);
      if ('error' in result) {
        // The Sandbox page itself (an HTML GET) carries no data: it may be served without a token.
        // Any operation Apollo would run for such a request still gets this 401.
        const pageAllowed = route === '/graphql' && req.method === 'GET' && config.DISTRAG_ENV === 'development' && acceptsHtml(req.headers.accept);
        return { ok: false, status: 401, message: result.error, pageAllowed };
      }
      if (route === '/metrics' && !hasRole(result.identity, 'admin')) return { ok: false, status: 403, message: '/metrics needs an admin token' };
      return { ok: true, context: { identity: result.identity } };
    },
  });

  const subscriptions = attachSubscriptionServer({
    http,
    schema: () => subscriptionSchema,
    apollo,
    authenticator,
    validationRules: [limits],
    pingMs: config.DISTRAG_WS_PING_MS,
    maxMessageBytes: config.DISTRAG_MAX_BODY_BYTES,
    log,
    onConnection: (delta) => sockets.inc(delta),
  });

  return {
    http,
    apollo,
    supergraph,
    watcher,
    /** Stops watching and subscriptions, stops Apollo (and the gateway), then closes the pooled subgraph connections. */
    stop: async () => {
      watcher.stop();
      await subscriptions.close();
      await hub.stop();
      await bus.close();
      await apollo.stop();
      await client.close();
    },
  };
}

/** Marks every GraphQL answer `cache-control: no-store` (what the cache-control plugin concluded anyway). */
const noStore: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/**
 * An `operationName` the document does not define (or several operations and none named) is the
 * client's mistake: graphql-js says so as a request error, but @apollo/gateway throws it from its
 * executor, which would answer 500 INTERNAL. Refused here, before execution, as BAD_USER_INPUT.
 * (GraphiQL sends a tab's previous operation name if run before it has re-read an edited document.)
 */
const namedOperationRequired: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
      },
    };
  },
};

function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}
