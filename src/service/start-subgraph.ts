import fs from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { loadConfig, required } from '../config/config.js';
import { publicErrorFormatter } from '../errors/format-public-error.js';
import { createLogger } from '../log/logger.js';
import { createMetrics, type Metrics } from '../metrics/metrics-registry.js';
import { schemaDir } from '../paths.js';
import { ForwardedIdentityVerifier, IDENTITY_HEADER } from '../auth/forwarded-identity.js';
import type { RequestContext } from '../auth/request-context.js';
import { closeHttpServer, createGraphqlHttpServer, listen, type GraphqlHttpServerOptions } from '../http/graphql-http-server.js';
import { operationLimits } from '../graphql/operation-limits.js';
import { runUntilSignal } from './run-until-signal.js';
import { staticSchema, type SubgraphSchemaSource, type VersionedSchema } from './subgraph-schema.js';
import type { Config } from '../config/config.js';
import type { ValidationRule } from 'graphql';
import type { Logger } from 'pino';

export interface SubgraphDefinition {
  name: 'data' | 'rag' | 'cache' | 'cluster';
  /**
   * Builds the schema (or the resolvers of `schema/<name>.graphql`) and the resources they use;
   * `close` releases them on shutdown.
   */
  setup: (config: Config, log: Logger, metrics: Metrics) => Promise<{
    /** A schema that may change at run time; without it, `schema/<name>.graphql` with `resolvers`. */
    schema?: SubgraphSchemaSource;
    resolvers?: unknown;
    /** Called once a new schema version is being served (after the swap), e.g. to tell the gateway. */
    onSchemaServed?: (version: string) => void;
    /** Answers some operations without Apollo, exactly as Apollo would (see GraphqlHttpServerOptions). */
    directExecution?: GraphqlHttpServerOptions<RequestContext>['directExecution'];
    readiness: () => Promise<string | null>;
    /** Facts added to `/healthz` (`npx distrag status` shows them). */
    health?: () => Promise<Record<string, unknown>>;
    close: () => Promise<void>;
  }>;
}

/**
 * The depth and breadth limits every subgraph applies to every document it executes, whichever
 * path runs it (Apollo, or a subgraph's direct execution). The gateway applies the same limits;
 * a subgraph applies them too so that holding the internal secret is not a way around them.
 */
export function subgraphValidationRules(config: Config): ValidationRule[] {
  return [operationLimits({ maxDepth: config.DISTRAG_MAX_DEPTH, maxFields: config.DISTRAG_MAX_FIELDS, ignoreFederationPlumbing: true })];
}

/** Loads `schema/<name>.graphql`, the SDL the subgraph serves and codegen types. */
export function readSubgraphSdl(name: string): string {
  return fs.readFileSync(path.join(schemaDir, `${name}.graphql`), 'utf8');
}

/**
 * Starts one subgraph process: its schema served over HTTP. Only callers presenting an
 * identity signed by the gateway (internal secret) are served; everyone else gets 401.
 */
export async function startSubgraph(definition: SubgraphDefinition): Promise<void> {
  const config = loadConfig();
  const log = createLogger(`subgraph-${definition.name}`, config.DISTRAG_LOG_LEVEL);
  try {
    await serveSubgraph(definition, config, log);
  } catch (error) {
    log.fatal({ err: error }, `subgraph ${definition.name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

async function serveSubgraph(definition: SubgraphDefinition, config: Config, log: Logger): Promise<void> {
  const metrics = createMetrics(`subgraph-${definition.name}`);
  const secret = required(config.DISTRAG_INTERNAL_SECRET, 'DISTRAG_INTERNAL_SECRET');
  const port = required(config.DISTRAG_SERVICE_PORT, 'DISTRAG_SERVICE_PORT');
  const resources = await definition.setup(config, log, metrics);
  const source = resources.schema ?? staticSchema(readSubgraphSdl(definition.name), resources.resolvers ?? {});

  const validationRules = subgraphValidationRules(config);
  let active = await startApollo(source.current(), validationRules, log);
  // Schema changes are applied one at a time. A new ApolloServer takes new requests once started;
  // requests already running finish on the one they began with, so none fails over a swap.
  let swaps = Promise.resolve();
  source.onChange(() => {
    swaps = swaps.then(async () => {
      const next = source.current();
      if (next.schema === active.schema) return;
      try {
        const previous = active.version;
        active = await startApollo(next, validationRules, log);
        log.info({ version: next.version.slice(0, 12) }, 'schema updated');
        if (next.version !== previous) resources.onSchemaServed?.(next.version);
      } catch (error) {
        log.error({ err: error }, 'schema update failed; still serving the previous schema');
      }
    });
  });

  const verifier = new ForwardedIdentityVerifier(secret);
  const server = createGraphqlHttpServer<RequestContext>({
    apollo: () => active.apollo,
    schemaVersion: () => active.version,
    directExecution: resources.directExecution,
    log,
    metrics,
    maxBodyBytes: config.DISTRAG_MAX_BODY_BYTES,
    readiness: resources.readiness,
    health: resources.health,
    authenticate: async (req) => {
      const header = req.headers[IDENTITY_HEADER];
      const identity = verifier.verify(Array.isArray(header) ? header[0] : header);
      if (!identity) return { ok: false, status: 401, message: 'subgraphs accept requests from the DistRAG gateway only' };
      return { ok: true, context: { identity, log } };
    },
  });
  await listen(server, port, config.DISTRAG_HOST);
  log.info({ port, host: config.DISTRAG_HOST }, `subgraph ${definition.name} listening`);

  runUntilSignal(log, async () => {
    await closeHttpServer(server);
    await swaps;
    await active.apollo.stop();
    await resources.close();
  });
}

/** An ApolloServer for one schema version, started. */
async function startApollo(versioned: VersionedSchema, validationRules: ValidationRule[], log: Logger): Promise<VersionedSchema & { apollo: ApolloServer<RequestContext> }> {
  const apollo = new ApolloServer<RequestContext>({
    schema: versioned.schema,
    validationRules,
    formatError: publicErrorFormatter(log),
    includeStacktraceInErrorResponses: false,
    introspection: true, // only the gateway can reach subgraphs; it needs `_service`
    csrfPrevention: false, // not browser-facing: every call must carry the gateway's signature
    // Shutdown is ours (runUntilSignal); a swapped-out server must not keep signal handlers.
    stopOnTerminationSignals: false,
    plugins: [
      // Nothing reports to Apollo GraphOS, and no federated traces (ftv1) are computed or returned,
      // whatever a request or the environment (APOLLO_KEY) asks for.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // No schema sets cache hints and the gateway does not merge subgraph Cache-Control headers:
      // skip the per-field cache-hint bookkeeping.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  return { ...versioned, apollo };
}
