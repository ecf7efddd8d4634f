import { Histogram } from 'prom-client';
import { required } from '../../src/config/config.js';
import { EventBus } from '../../src/events/event-bus.js';
import { createPgPool, pgReadiness } from '../../src/db/pg-pool.js';
import { readSubgraphSdl, startSubgraph, subgraphValidationRules } from '../../src/service/start-subgraph.js';
import { DirectQueryExecutor } from './direct/direct-query-executor.js';
import { ApiPools } from './execution/api-pools.js';
import { LiveDataSchema } from './live-data-schema.js';

await startSubgraph({
  name: 'data',
  setup: async (config, log, metrics) => {
    const statements = new Histogram({
      name: 'distrag_data_statement_duration_seconds',
      help: 'Data API statements (one per query operation, one per mutation field), by kind, transaction included',
      labelNames: ['kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metrics.registry],
    });
    const onStatement = (kind: 'query' | 'mutation', seconds: number) => statements.observe({ kind }, seconds);
    // The catalog reader reads the catalog and has distrag_meta.secure_table() secure new tables;
    // API requests never use it. Requests run as the API roles.
    const catalog = createPgPool(required(config.DISTRAG_CATALOG_DATABASE_URL, 'DISTRAG_CATALOG_DATABASE_URL'), log, { applicationName: 'distrag-data-catalog', max: 2 });
    const urls = {
      reader: required(config.DISTRAG_READER_DATABASE_URL, 'DISTRAG_READER_DATABASE_URL'),
      writer: required(config.DISTRAG_WRITER_DATABASE_URL, 'DISTRAG_WRITER_DATABASE_URL'),
      admin: required(config.DISTRAG_OPERATOR_DATABASE_URL, 'DISTRAG_OPERATOR_DATABASE_URL'),
    };
    const pools = new ApiPools({ urls, max: 16, statementTimeoutMs: config.DISTRAG_STATEMENT_TIMEOUT_MS, applicationName: 'distrag-data' }, log);
    const live = new LiveDataSchema(
      catalog,
      {
        schemas: config.dataSchemas,
        tenantColumn: config.DISTRAG_TENANT_COLUMN,
        pollMs: config.DISTRAG_SCHEMA_POLL_MS,
        estimatesMs: 60_000,
        schemaOptions: {
          staticSdl: readSubgraphSdl('data'),
          // The other subgraphs' names, and the gateway's subscription types, are taken.
          otherSubgraphSdls: ['rag', 'cache', 'cluster', 'subscriptions'].map(readSubgraphSdl),
          defaultSchema: config.dataSchemas[0]!,
          pools,
          onStatement,
          limits: { defaultLimit: config.DISTRAG_DEFAULT_LIMIT, maxLimit: config.DISTRAG_MAX_LIMIT },
          maxCost: config.DISTRAG_MAX_COST,
          maxMutationRows: config.DISTRAG_MAX_MUTATION_ROWS,
        },
      },
      log,
    );
    await live.start();
    // Schema events (DDL) make the data API catch up at once; the poll above is only a safety net.
    const bus = new EventBus({ url: required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL'), maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
    const follower = bus.follow({
      kinds: ['schema'],
      onEvents: (events) => {
        if (events.some((e) => e.event.type === 'ddl' || e.event.type === 'resync')) void live.checkNow();
      },
      onResync: () => void live.checkNow(),
    });
    const direct = new DirectQueryExecutor(
      { pools, onStatement, maxCost: config.DISTRAG_MAX_COST, limits: { defaultLimit: config.DISTRAG_DEFAULT_LIMIT, maxLimit: config.DISTRAG_MAX_LIMIT }, current: () => live.current(), validationRules: subgraphValidationRules(config) },
      log,
    );
    return {
      schema: live,
      directExecution: (request) => direct.execute(request),
      onSchemaServed: (version) => {
        bus.publish('schema', { type: 'subgraph-schema', subgraph: 'data', version, at: new Date().toISOString() }).catch((error: unknown) => log.warn({ err: error }, 'could not announce the new schema; the gateway finds it by polling'));
      },
      readiness: pgReadiness(catalog),
      close: async () => {
        await follower.stop();
        await bus.close();
        await live.stop();
        await pools.end();
        await catalog.end();
      },
    };
  },
});
