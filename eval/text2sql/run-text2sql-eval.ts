import path from 'node:path';
import pg from 'pg';
import { MEASURED_CODE } from '../../bench/write-results.js';
import { projectRoot } from '../../src/paths.js';
import { createEvalReader } from '../spider/create-eval-reader.js';
import { openSpiderSqlite } from '../spider/open-spider-sqlite.js';
import { runReadOnly } from '../spider/run-read-only.js';
import { sameResult } from '../spider/same-result.js';
import { loadedDatabase, qualifiedTables, type SpiderCatalog } from '../spider/spider-catalog.js';
import type { SpiderDataset, SpiderQuestion } from '../spider/spider-dataset.js';
import { spiderGoldToPostgres } from '../spider/spider-gold-to-postgres.js';
import { hasTopLevelOrderBy } from '../spider/top-level-order.js';
import { TEXT2SQL_EVAL_METHOD } from './text2sql-eval-method.js';
import { TEXT2SQL_EVAL_FORMAT, type Text2SqlCounts, type Text2SqlOutcome, type Text2SqlPredict, type Text2SqlPredictorInfo, type Text2SqlResult } from './text2sql-result.js';

export interface Text2SqlEvalOptions {
  catalog: SpiderCatalog;
  /** A superuser URL of the PostgreSQL the catalog was loaded into (the eval creates its own reader role there). */
  databaseUrl: string;
  dataset: SpiderDataset;
  predict: Text2SqlPredict;
  /** What `predict` is, recorded in the result (default null). */
  predictor?: Text2SqlPredictorInfo;
  /** Evaluate this many questions, spread evenly over the dataset (default all). */
  limit?: number;
  /** Questions in flight at once, each with its own connection (default 4). */
  concurrency?: number;
  /** Statement timeout of each predicted query (default 5 s, the ask path's default). */
  timeoutMs?: number;
  report?: (line: string) => void;
}

/**
 * Execution accuracy of a text-to-SQL predictor on a Spider-format dataset: each question's
 * predicted SQL runs on PostgreSQL (read-only transaction, the database's schema as search_path,
 * a statement timeout, as a role that can only read the catalog), and its result is compared with
 * the gold query's result on the dataset's own SQLite file, as multisets unless the gold query
 * sorts its result. Only questions of databases in the catalog are asked.
 */
export async function runText2SqlEval(options: Text2SqlEvalOptions): Promise<Text2SqlResult> {
  const started = performance.now();
  const questions = spread(options.dataset.questions.filter((q) => options.catalog.databases[q.db_id] !== undefined), options.limit);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, questions.length));
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  const sqlite = await openSpiderSqlite(options.dataset.dir);
  const reader = await createEvalReader(admin, options.databaseUrl, Object.values(options.catalog.databases).flatMap(qualifiedTables));
  const clients: pg.Client[] = [];
  const outcomes: Text2SqlOutcome[] = new Array(questions.length);
  try {
    for (let i = 0; i < concurrency; i++) {
      const client = new pg.Client({ connectionString: reader.url });
      clients.push(client);
      await client.connect();
    }
    let next = 0;
    let done = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < questions.length) {
          const index = next++;
          const q = questions[index]!;
          const reference = sqlite.query(q.db_id, q.query);
          outcomes[index] = await judge(q, reference, client, options);
          done += 1;
          if (done % 50 === 0 || done === questions.length) options.report?.(`${done}/${questions.length} questions`);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await reader.drop().finally(() => admin.end());
    sqlite.close();
  }
  const byDatabase: Record<string, Text2SqlCounts> = {};
  for (const db of new Set(questions.map((q) => q.db_id))) byDatabase[db] = countOutcomes(outcomes.filter((o) => o.db === db));
  return {
    format: TEXT2SQL_EVAL_FORMAT,
    eval: 'text2sql',
    ...MEASURED_CODE,
    date: new Date().toISOString(),
    elapsedSeconds: Math.round((performance.now() - started) / 100) / 10,
    data: path.relative(projectRoot, path.resolve(options.dataset.dir)) || '.',
    predictor: options.predictor ?? null,
    overall: countOutcomes(outcomes),
    byDatabase,
    outcomes,
    method: TEXT2SQL_EVAL_METHOD,
  };
}

async function judge(q: SpiderQuestion, reference: unknown[][], client: pg.Client, options: Text2SqlEvalOptions): Promise<Text2SqlOutcome> {
  const schema = loadedDatabase(options.catalog, q.db_id).schema;
  const base = { db: q.db_id, question: q.question, gold: q.query };
  let prediction;
  try {
    prediction = await options.predict({ question: q.question, db: q.db_id, schema });
  } catch (error) {
    return { ...base, predicted: null, verdict: 'no-sql', detail: (error as Error).message };
  }
  const sql = prediction.sql?.trim() ? prediction.sql : null;
  if (sql === null) return { ...base, predicted: null, verdict: 'no-sql', detail: prediction.error ?? null };
  const outcome = await runReadOnly(client, schema, sql, options.timeoutMs ?? 5_000);
  if (!outcome.ok) return { ...base, predicted: sql, verdict: 'error', detail: outcome.error };
  const ordered = await hasTopLevelOrderBy(spiderGoldToPostgres(q.query));
  return { ...base, predicted: sql, verdict: sameResult(outcome.rows, reference, ordered) ? 'correct' : 'wrong', detail: null };
}

/** Counts per verdict and the accuracy of a set of outcomes. */
export function countOutcomes(outcomes: readonly Text2SqlOutcome[]): Text2SqlCounts {
  const of = (verdict: Text2SqlOutcome['verdict']) => outcomes.filter((o) => o.verdict === verdict).length;
  const correct = of('correct');
  return { questions: outcomes.length, correct, wrong: of('wrong'), errors: of('error'), noSql: of('no-sql'), accuracy: outcomes.length === 0 ? 0 : correct / outcomes.length };
}

/** `limit` questions at evenly spaced positions (questions.json is grouped by database: every one gets its share). */
function spread<T>(items: readonly T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return [...items];
  return Array.from({ length: Math.max(0, limit) }, (_, i) => items[Math.floor((i * items.length) / limit)]!);
}
