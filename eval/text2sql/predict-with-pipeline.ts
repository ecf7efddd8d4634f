import type { Config } from '../../src/config/config.js';
import type { Text2SqlPrediction, Text2SqlQuestion } from './text2sql-result.js';

/**
 * ─── WIRE THE RAG PIPELINE HERE ───
 * The predictor `npx distrag eval text2sql` evaluates: the ask path's SQL generation (retrieve the
 * question's tables from the catalog loaded into `q.schema`, prompt, generate, guard) for one
 * Spider question, returning its SQL without running it — the harness runs it. Until the pipeline
 * exists this throws, and the CLI reports it.
 */
export async function predictWithPipeline(config: Config, q: Text2SqlQuestion): Promise<Text2SqlPrediction> {
  void config;
  void q;
  throw new Error('predictWithPipeline: not wired yet (eval/text2sql/predict-with-pipeline.ts): the RAG pipeline is not connected to the text2sql eval');
}
