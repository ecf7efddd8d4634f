import type { Embedder } from '../../src/embed/embedder.js';
import type { Logger } from '../../src/log/logger.js';
import { chromaClient } from '../../subgraphs/rag/retrieve/chroma-collection.js';
import type { TableEvidence } from '../../subgraphs/rag/retrieve/rank-tables.js';
import { SchemaIndex } from '../../subgraphs/rag/retrieve/schema-index.js';
import type { TableInfo } from '../../subgraphs/rag/retrieve/table-info.js';
import type { GoldQuestion } from './evaluate-retrieval.js';

/** Questions gathered at once (the embedder batches them). */
const CONCURRENT_QUESTIONS = 16;

/**
 * Indexes the catalog's full summaries once in a collection of its own and gathers each
 * question's evidence over the whole catalog (every table visible) through
 * SchemaIndex.gatherEvidence, as a search for the top `k` would: each summary and each question
 * embedded once, whatever weights are tried on them afterwards. The collection is deleted at the end.
 */
export async function gatherQuestionEvidence(options: {
  catalog: TableInfo[];
  questions: GoldQuestion[];
  k: number;
  chromaUrl: string;
  embedder: Embedder;
  namespace: string;
  log: Logger;
}): Promise<TableEvidence[]> {
  const visible = new Set(options.catalog.map((t) => t.name));
  // The weights are unused here: rankTables applies them to the evidence.
  const index = new SchemaIndex({ chromaUrl: options.chromaUrl, embedder: options.embedder, bm25Weight: 0, neighbourWeight: 0, log: options.log, namespace: options.namespace });
  try {
    await index.replaceAll(options.catalog);
    const evidence: TableEvidence[] = [];
    for (let i = 0; i < options.questions.length; i += CONCURRENT_QUESTIONS) {
      const batch = options.questions.slice(i, i + CONCURRENT_QUESTIONS);
      const gathered = await Promise.all(batch.map((q) => index.gatherEvidence(q.question, { k: options.k, visible })));
      evidence.push(...gathered.map((e) => e!));
    }
    return evidence;
  } finally {
    await chromaClient(options.chromaUrl).deleteCollection({ name: index.collectionName }).catch(() => undefined);
  }
}
