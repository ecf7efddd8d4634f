import fs from 'node:fs';
import path from 'node:path';
import { MEASURED_CODE } from '../../bench/write-results.js';
import { analyzeEntry, judgeCandidate, schemaVocabulary, type AnalyzedEntry, type GuardPolicy } from '../../src/cache/cache-guard.js';
import { analyzeQuestion } from '../../src/cache/question-signature.js';
import { prepareSqlParser } from '../../src/cache/sql-analysis.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { projectRoot } from '../../src/paths.js';
import { openSqliteColumnValues } from '../spider/sqlite-column-values.js';
import { sqliteToPostgres } from '../spider/sqlite-to-postgres.js';
import type { SpiderDataset } from '../spider/spider-dataset.js';
import { CACHE_EVAL_METHOD, cacheEvalNotes } from './cache-eval-notes.js';
import { CACHE_EVAL_FORMAT, type CacheEvalResult } from './cache-eval-result.js';
import { defaultThresholds, evaluateCache, type EvalGuard } from './evaluate-cache.js';
import { buildLiteralSwaps } from './literal-swaps.js';
import { plotCacheEval } from './plot-cache-eval.js';
import { prepareQuestions } from './prepare-questions.js';
import { CACHE_EVAL_TITLE, renderCacheEval } from './render-cache-eval.js';

/** Questions embedded per call: big enough to batch, small enough to report progress. */
const EMBED_BATCH = 64;

export interface CacheEvalOptions {
  dataset: SpiderDataset;
  /** Where cache-eval.json, .md and .svg go. */
  outDir: string;
  embedder: Embedder;
  policy: GuardPolicy;
  report: (line: string) => void;
}

/**
 * Runs the cache eval on a Spider-format directory (see `evaluateCache`) and writes
 * cache-eval.json, cache-eval.md and cache-eval.svg to `outDir`; returns the result and the files.
 */
export async function runCacheEval(options: CacheEvalOptions): Promise<{ result: CacheEvalResult; files: string[] }> {
  const started = process.hrtime.bigint();
  const { dataset } = options;
  options.report(`${dataset.questions.length} questions over ${dataset.schemas.size} databases from ${dataset.dir}`);
  const rows = await openSqliteColumnValues(dataset.dir);
  const swaps = await buildLiteralSwaps(await prepareQuestions(dataset.questions), dataset.schemas, rows.valuesOf).finally(rows.close);
  options.report(`${swaps.length} synthetic literal swaps`);

  const texts = [...new Set([...dataset.questions.map((q) => q.question), ...swaps.map((s) => s.incoming)])];
  const vectors = new Map<string, Float32Array>();
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    const batch = texts.slice(i, i + EMBED_BATCH);
    (await options.embedder.embed(batch)).forEach((v, j) => vectors.set(batch[j]!, v));
    if (i + EMBED_BATCH >= texts.length || (i / EMBED_BATCH) % 4 === 3) options.report(`embedded ${Math.min(i + EMBED_BATCH, texts.length)}/${texts.length} questions`);
  }

  await prepareSqlParser();
  const vocabularies = databaseVocabularies(dataset);
  const guard: EvalGuard = (cached, incoming) => judgeCandidate(cached, incoming, options.policy, vocabularies.get(cached.db));
  const templateOf = (question: string) => analyzeQuestion(question).template;
  const templateCandidate = options.policy.rebind && options.policy.literalGuard ? (cached: string, incoming: string) => templateOf(cached) === templateOf(incoming) : undefined;
  const evaluation = await evaluateCache({ questions: dataset.questions, swaps, vectors, guard, templateCandidate, thresholds: defaultThresholds() });
  const result: CacheEvalResult = {
    format: CACHE_EVAL_FORMAT,
    eval: 'cache',
    ...MEASURED_CODE,
    date: new Date().toISOString(),
    elapsedSeconds: Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10,
    data: path.relative(projectRoot, path.resolve(dataset.dir)) || '.',
    embedder: options.embedder.id,
    guard: { policy: options.policy, available: true, unavailableReason: null },
    ...evaluation,
    notes: cacheEvalNotes(evaluation, null),
    method: CACHE_EVAL_METHOD,
  };
  fs.mkdirSync(options.outDir, { recursive: true });
  const files = { json: path.join(options.outDir, 'cache-eval.json'), md: path.join(options.outDir, 'cache-eval.md'), svg: path.join(options.outDir, 'cache-eval.svg') };
  fs.writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(files.md, `### ${CACHE_EVAL_TITLE}\n\n${renderCacheEval(result, 'cache-eval.svg')}`);
  fs.writeFileSync(files.svg, plotCacheEval(result));
  return { result, files: Object.values(files) };
}

/**
 * Each database's schema vocabulary as the cache would have it for a tenant whose cache holds every
 * question of that database (the words of the table and column names their SQL uses).
 */
function databaseVocabularies(dataset: SpiderDataset): Map<string, Set<string>> {
  const byDb = new Map<string, AnalyzedEntry[]>();
  for (const q of dataset.questions) {
    let analyzed: AnalyzedEntry;
    try {
      analyzed = analyzeEntry(q.question, sqliteToPostgres(q.query));
    } catch {
      continue; // SQL the parser refuses adds no words
    }
    byDb.set(q.db_id, [...(byDb.get(q.db_id) ?? []), analyzed]);
  }
  return new Map([...byDb].map(([db, entries]) => [db, schemaVocabulary(entries)]));
}
