import { Redis } from 'ioredis';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import { required } from '../../src/config/config.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { EventBus } from '../../src/events/event-bus.js';
import { startSubgraph } from '../../src/service/start-subgraph.js';
import { ReadableTables } from './access/readable-tables.js';
import { AskPipeline } from './ask-pipeline.js';
import { ExampleStore } from './examples/example-store.js';
import { AskConnections } from './execute/ask-connections.js';
import { SchemaCatalog } from './index-sync/schema-catalog.js';
import { describeLlmClient } from './llm/describe-llm-client.js';
import { createLlmClient } from './llm/llm-client.js';
import { ragResolvers } from './rag-resolvers.js';
import { readCatalogTables } from './retrieve/read-catalog-tables.js';
import { SchemaIndex } from './retrieve/schema-index.js';

await startSubgraph({
  name: 'rag',
  setup: async (config, log, metrics) => {
    const chromaUrl = required(config.DISTRAG_CHROMA_URL, 'DISTRAG_CHROMA_URL');
    const redisUrl = required(config.DISTRAG_REDIS_URL, 'DISTRAG_REDIS_URL');
    const heartbeat = () =>
      fetch(new URL('/api/v2/heartbeat', chromaUrl), { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    const llm = createLlmClient(config, { log, registry: metrics.registry });
    const connections = new AskConnections({
      ragUrl: required(config.DISTRAG_RAG_DATABASE_URL, 'DISTRAG_RAG_DATABASE_URL'),
      askAllUrl: required(config.DISTRAG_ASK_ALL_DATABASE_URL, 'DISTRAG_ASK_ALL_DATABASE_URL'),
      log,
    });
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
    const bus = new EventBus({ url: redisUrl, maxLen: config.DISTRAG_EVENT_STREAM_MAXLEN, log });
    const embedderState = await loadEmbedder(config, log);
    const embedder = embedderState.enabled ? embedderState.embedder : null;
    if (!embedderState.enabled) log.warn({ reason: embedderState.reason }, `no embedder: the cache is off and retrieval puts every readable table into the prompt (${embedderState.reason})`);
    // The same cache library as the cache subgraph, in process: a hit costs no extra hop.
    const cache = await SemanticCache.open({ redis, bus, embedder: embedderState, config, log, registry: metrics.registry });
    const schemaIndex = embedder ? new SchemaIndex({ chromaUrl, embedder, bm25Weight: config.DISTRAG_RAG_BM25_WEIGHT, neighbourWeight: config.DISTRAG_RAG_NEIGHBOUR_WEIGHT, log }) : null;
    const examples = embedder ? new ExampleStore({ chromaUrl, embedder, log }) : null;
    await schemaIndex?.open().catch((error: unknown) => log.error({ err: error }, 'the schema index could not be opened; retrieval will retry on the next schema event'));
    const catalog = new SchemaCatalog({
      // The ask-all role reads the catalog and the reference tables' sample values.
      read: async () => {
        const client = await connections.connect(null);
        try {
          return await readCatalogTables(client, { schemas: config.dataSchemas, tenantColumn: config.DISTRAG_TENANT_COLUMN, sampleValues: config.DISTRAG_RAG_SAMPLE_VALUES });
        } finally {
          client.release();
        }
      },
      index: schemaIndex,
      bus,
      log,
    });
    await catalog.start();
    const readable = new ReadableTables(connections.rag, config.dataSchemas);
    const pipeline = new AskPipeline({
      cache,
      catalog,
      schemaIndex,
      examples,
      llm,
      connections,
      readable,
      log,
      limits: {
        topK: config.DISTRAG_RAG_TOP_K,
        examples: config.DISTRAG_RAG_EXAMPLES,
        sqlRetries: config.DISTRAG_RAG_SQL_RETRIES,
        rowCap: config.DISTRAG_RAG_ROW_CAP,
        statementTimeoutMs: config.DISTRAG_RAG_STATEMENT_TIMEOUT_MS,
        maxQuestionChars: config.DISTRAG_CACHE_MAX_QUESTION_CHARS,
        searchPath: config.dataSchemas,
      },
    });
    const provider = describeLlmClient(llm);
    return {
      resolvers: ragResolvers({
        pipeline,
        catalog,
        examples,
        readable,
        searchPath: config.dataSchemas,
        embedder: embedder?.id ?? null,
        collection: schemaIndex?.collectionName ?? '(no embedder: not indexed)',
        status: async () => ({ ...provider, vectorStoreReachable: await heartbeat() }),
      }),
      readiness: async () => {
        if (!(await heartbeat())) return 'Chroma is unreachable';
        return (await redis.ping().then(() => true, () => false)) ? null : 'Redis is unreachable';
      },
      health: async () => ({ rag: { llm: llm ? { provider: llm.provider, model: llm.model } : null, schemaIndex: { phase: catalog.phase, tables: catalog.tables().size } } }),
      close: async () => {
        await catalog.stop();
        await cache.close();
        await bus.close();
        await connections.close();
        await embedder?.close();
        redis.disconnect();
      },
    };
  },
});
