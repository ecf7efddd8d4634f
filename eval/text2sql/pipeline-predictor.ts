import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../src/config/config.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { AskPipeline } from '../../subgraphs/rag/ask-pipeline.js';
import { describeLlmClient } from '../../subgraphs/rag/llm/describe-llm-client.js';
import { createLlmClient } from '../../subgraphs/rag/llm/llm-client.js';
import { MAX_PROMPT_TABLES } from '../../subgraphs/rag/retrieve-for-ask.js';
import { readCatalogTables } from '../../subgraphs/rag/retrieve/read-catalog-tables.js';
import { SchemaIndex } from '../../subgraphs/rag/retrieve/schema-index.js';
import type { TableInfo } from '../../subgraphs/rag/retrieve/table-info.js';
import { startPrivateChroma } from '../retrieval/private-chroma.js';
import { qualifiedTables, type SpiderCatalog } from '../spider/spider-catalog.js';
import type { Text2SqlPredict, Text2SqlPredictorInfo } from './text2sql-result.js';

/**
 * The ask path's SQL writing, as `eval text2sql` measures it: every Spider database's tables read
 * from the eval's PostgreSQL into ONE schema index (a private Chroma), and for each question the
 * pipeline's `plan` — retrieval among that database's tables, prompt, the configured LLM, the
 * guard — with the database's schema as search path. The harness runs the SQL.
 */
export async function createPipelinePredictor(options: { config: Config; databaseUrl: string; catalog: SpiderCatalog; log: Logger }): Promise<{ predict: Text2SqlPredict; info: Text2SqlPredictorInfo; close: () => Promise<void> }> {
  const { config, log } = options;
  const llm = createLlmClient(config, { log });
  if (!llm) throw new Error('no LLM provider is configured (GEMINI_API_KEY, or DISTRAG_LLM_BASE_URL and DISTRAG_LLM_MODEL)');
  const databases = Object.values(options.catalog.databases);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  let tables: TableInfo[];
  try {
    tables = await readCatalogTables(client, { schemas: databases.map((d) => d.schema), tenantColumn: config.DISTRAG_TENANT_COLUMN, sampleValues: config.DISTRAG_RAG_SAMPLE_VALUES });
  } finally {
    await client.end();
  }
  const catalog = new Map(tables.map((t) => [t.name, t]));
  const embedder = await loadEmbedder(config, log);
  let chroma: { url: string; stop: () => Promise<void> } | null = null;
  const close = async () => {
    await chroma?.stop();
    if (embedder.enabled) await embedder.embedder.close();
  };
  let index: SchemaIndex | null = null;
  try {
    if (embedder.enabled) {
      chroma = await startPrivateChroma();
      index = new SchemaIndex({ chromaUrl: chroma.url, embedder: embedder.embedder, bm25Weight: config.DISTRAG_RAG_BM25_WEIGHT, neighbourWeight: config.DISTRAG_RAG_NEIGHBOUR_WEIGHT, log, namespace: 'text2sql_' });
      await index.replaceAll(tables);
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const { provider, model } = describeLlmClient(llm);
  const info: Text2SqlPredictorInfo = {
    provider: provider!,
    model: model!,
    retrieval: embedder.enabled
      ? `the top ${config.DISTRAG_RAG_TOP_K} of the database's tables by \`${embedder.embedder.id}\` and BM25 (weight ${config.DISTRAG_RAG_BM25_WEIGHT}), foreign-key neighbour weight ${config.DISTRAG_RAG_NEIGHBOUR_WEIGHT}, with their foreign-key neighbours`
      : `every table of the database, up to ${MAX_PROMPT_TABLES} (no embedder: ${embedder.reason})`,
    sqlRetries: config.DISTRAG_RAG_SQL_RETRIES,
  };
  const pipelines = new Map(
    databases.map((database) => {
      const readable = new Set(qualifiedTables(database));
      const pipeline = new AskPipeline({
        cache: null,
        catalog: { tables: () => catalog },
        schemaIndex: index,
        examples: null,
        llm,
        connections: null,
        readable: { get: async () => readable },
        log,
        limits: {
          topK: config.DISTRAG_RAG_TOP_K,
          examples: 0,
          sqlRetries: config.DISTRAG_RAG_SQL_RETRIES,
          rowCap: config.DISTRAG_RAG_ROW_CAP,
          statementTimeoutMs: config.DISTRAG_RAG_STATEMENT_TIMEOUT_MS,
          maxQuestionChars: config.DISTRAG_CACHE_MAX_QUESTION_CHARS,
          searchPath: [database.schema],
        },
      });
      return [database.db, pipeline] as const;
    }),
  );
  return {
    predict: async (q) => {
      const pipeline = pipelines.get(q.db);
      if (!pipeline) return { sql: null, error: `database ${q.db} was not loaded` };
      try {
        return { sql: (await pipeline.plan(q.question, { cacheScope: '*', tenant: null })).sql };
      } catch (error) {
        return { sql: null, error: (error as Error).message };
      }
    },
    info,
    close,
  };
}
