import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { resultsDir } from '../../../bench/write-results.js';
import { publishCacheEval } from '../../../eval/cache/publish-cache-eval.js';
import { renderCacheEval } from '../../../eval/cache/render-cache-eval.js';
import { runCacheEval } from '../../../eval/cache/run-cache-eval.js';
import type { GuardEvalResult } from '../../../eval/guard/guard-eval-result.js';
import { DEMO_READABLE_TABLES, DEMO_SEARCH_PATH, HOSTILE_SQL } from '../../../eval/guard/hostile-corpus.js';
import { GUARD_EVAL_TITLE, renderGuardEval } from '../../../eval/guard/render-guard-eval.js';
import { runGuardEval } from '../../../eval/guard/run-guard-eval.js';
import { loadSpiderIntoPostgres } from '../../../eval/spider/load-spider-into-postgres.js';
import type { SpiderCatalog } from '../../../eval/spider/spider-catalog.js';
import { startEvalPostgres } from '../../../eval/spider/start-eval-postgres.js';
import { createPipelinePredictor } from '../../../eval/text2sql/pipeline-predictor.js';
import { renderText2SqlEval, TEXT2SQL_EVAL_TITLE } from '../../../eval/text2sql/render-text2sql-eval.js';
import { runText2SqlEval } from '../../../eval/text2sql/run-text2sql-eval.js';
import type { Text2SqlResult } from '../../../eval/text2sql/text2sql-result.js';
import { renderRetrievalEval } from '../../../eval/retrieval/render-retrieval-eval.js';
import { runRetrievalEval } from '../../../eval/retrieval/run-retrieval-eval.js';
import { defaultSpiderDir, loadSpiderDataset, SpiderDatasetError, type SpiderDataset } from '../../../eval/spider/spider-dataset.js';
import type { Config } from '../../config/config.js';
import type { Embedder } from '../../embed/embedder.js';
import { loadEmbedder } from '../../embed/load-embedder.js';
import { createLogger } from '../../log/logger.js';
import { schemaDir } from '../../paths.js';
import { guardSql } from '../../../subgraphs/rag/guard/guard-sql.js';
import { resolveLlmSettings } from '../../../subgraphs/rag/llm/llm-settings.js';
import { CliError } from '../cli-error.js';
import { parseCount, parseFlags } from '../parse-flags.js';

const EVALS = ['cache', 'retrieval', 'text2sql', 'guard'];

/** Warnings (an LLM request retried, the embedder missing) on stderr: stdout is the result, JSON with --json. */
const evalLogger = () => createLogger('eval', 'warn', 2);

/**
 * `distrag eval text2sql [--limit N]` and `distrag eval guard`: see `spiderPostgresEval` below.
 * `distrag eval cache [--data DIR] [--out DIR] [--json] [--readme]`: the semantic cache's precision
 * on a Spider-format dataset (see eval/cache/evaluate-cache.ts). Writes cache-eval.{json,md,svg}
 * to --out (bench/results/), prints the table (or with --json the result) on stdout, progress on
 * stderr; --readme also rewrites the README's block from this run.
 *
 * `distrag eval retrieval [--data DIR] [--out DIR] [--json] [--limit N] [--databases a,b]`: table
 * retrieval's recall of the gold tables (see eval/retrieval/run-retrieval-eval.ts), on a private
 * Chroma; writes retrieval-eval.{json,md,svg} the same way.
 */
export async function evalCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags(
    'eval',
    args,
    { data: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, readme: { type: 'boolean' }, limit: { type: 'string' }, databases: { type: 'string' } },
    1,
  );
  const name = positionals[0];
  if (name === undefined || !EVALS.includes(name)) throw new CliError(`distrag eval: ${name === undefined ? 'name an eval' : `unknown eval "${name}"`}; known: ${EVALS.join(', ')}`, 2);
  if (name === 'retrieval') return retrievalEval(values, config);
  if (values.readme && (values.out !== undefined || name !== 'cache')) throw new CliError('distrag eval cache --readme publishes bench/results/; it takes no --out (and only the cache eval has a README block)', 2);
  if (values.limit !== undefined && (name !== 'text2sql' || !/^[1-9]\d*$/.test(values.limit))) throw new CliError('distrag eval: --limit N (a positive whole number) is for text2sql only', 2);
  if (name === 'text2sql' && resolveLlmSettings(config) === null) {
    throw new CliError('distrag eval text2sql: needs an LLM provider to generate SQL; set GEMINI_API_KEY, or DISTRAG_LLM_BASE_URL (and DISTRAG_LLM_MODEL) for an OpenAI-compatible endpoint');
  }
  let dataset: SpiderDataset;
  try {
    dataset = loadSpiderDataset(path.resolve(values.data ?? defaultSpiderDir()));
  } catch (error) {
    if (error instanceof SpiderDatasetError) throw new CliError(`distrag eval ${name}: ${error.message}; pass --data DIR, a directory in Spider's format`);
    throw error;
  }
  const outDir = path.resolve(values.out ?? resultsDir);
  if (name === 'text2sql' || name === 'guard') {
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    return spiderPostgresEval(name, { dataset, outDir, json: values.json ?? false, limit, config });
  }
  const report = (line: string) => console.error(`distrag eval cache: ${line}`);

  const state = await loadEmbedder(config, evalLogger());
  if (!state.enabled) throw new CliError(`distrag eval cache: no embedder: ${state.reason}`);
  const embedder: Embedder = state.embedder;
  try {
    const policy = { literalGuard: config.DISTRAG_CACHE_LITERAL_GUARD, rebind: config.DISTRAG_CACHE_REBIND };
    const { result, files } = await runCacheEval({ dataset, outDir, embedder, policy, report });
    report(`wrote ${files.join(', ')}`);
    if (values.readme) report(`wrote ${publishCacheEval(result)}`);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(renderCacheEval(result, path.join(outDir, 'cache-eval.svg')));
    return 0;
  } finally {
    await embedder.close();
  }
}

/**
 * `distrag eval text2sql|guard`: loads the dataset into a throwaway PostgreSQL of the eval's own
 * (eval/spider/start-eval-postgres.ts), runs the eval, writes <name>-eval.{json,md} to `outDir` and
 * prints the markdown (or the JSON with --json) on stdout, progress on stderr.
 */
async function spiderPostgresEval(name: 'text2sql' | 'guard', options: { dataset: SpiderDataset; outDir: string; json: boolean; limit: number | undefined; config: Config }): Promise<number> {
  const report = (line: string) => console.error(`distrag eval ${name}: ${line}`);
  const server = await startEvalPostgres(options.config, report);
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    let catalog: SpiderCatalog;
    try {
      catalog = await loadSpiderIntoPostgres(admin, options.dataset);
      // The hostile corpus is written against the demo tables: create them (empty) beside Spider's.
      if (name === 'guard') await admin.query(fs.readFileSync(path.join(schemaDir, 'sql', '001_demo_tables.sql'), 'utf8'));
    } finally {
      await admin.end();
    }
    report(`loaded ${Object.keys(catalog.databases).length} databases in ${(catalog.elapsedMs / 1000).toFixed(1)} s`);
    let markdown: string;
    let result: Text2SqlResult | GuardEvalResult;
    if (name === 'text2sql') {
      const predictor = await createPipelinePredictor({ config: options.config, databaseUrl: server.url, catalog, log: evalLogger() });
      let run: Text2SqlResult;
      try {
        run = await runText2SqlEval({ catalog, databaseUrl: server.url, dataset: options.dataset, predict: predictor.predict, predictor: predictor.info, limit: options.limit, concurrency: options.config.DISTRAG_LLM_CONCURRENCY, report });
      } finally {
        await predictor.close();
      }
      const reasons = new Set(run.outcomes.map((o) => (o.verdict === 'no-sql' ? o.detail : null)));
      if (run.overall.noSql === run.overall.questions && reasons.size === 1) throw new CliError(`distrag eval text2sql: no SQL for any question: ${[...reasons][0] ?? 'the predictor gave none'}`);
      [result, markdown] = [run, `### ${TEXT2SQL_EVAL_TITLE}\n\n${renderText2SqlEval(run)}`];
    } else {
      const scope = { readableTables: DEMO_READABLE_TABLES, searchPath: DEMO_SEARCH_PATH };
      const run = await runGuardEval({ databaseUrl: server.url, catalog, dataset: options.dataset, guard: guardSql, hostile: HOSTILE_SQL, hostileScope: scope, report });
      [result, markdown] = [run, `### ${GUARD_EVAL_TITLE}\n\n${renderGuardEval(run)}`];
    }
    fs.mkdirSync(options.outDir, { recursive: true });
    const files = [path.join(options.outDir, `${name}-eval.json`), path.join(options.outDir, `${name}-eval.md`)];
    fs.writeFileSync(files[0]!, `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(files[1]!, markdown);
    report(`wrote ${files.join(', ')}`);
    console.log(options.json ? JSON.stringify(result, null, 2) : markdown);
    return 0;
  } finally {
    await server.stop();
  }
}

async function retrievalEval(values: { data?: string; out?: string; json?: boolean; readme?: boolean; limit?: string; databases?: string }, config: Config): Promise<number> {
  if (values.readme) throw new CliError('distrag eval retrieval: --readme is not supported; read bench/results/retrieval-eval.md', 2);
  const limit = values.limit === undefined ? undefined : parseCount('eval retrieval', 'limit', values.limit, 0, 1, 1_000_000);
  const databases = values.databases === undefined ? undefined : new Set(values.databases.split(',').map((d) => d.trim()).filter((d) => d !== ''));
  let dataset: SpiderDataset;
  try {
    dataset = loadSpiderDataset(path.resolve(values.data ?? defaultSpiderDir()));
  } catch (error) {
    if (error instanceof SpiderDatasetError) throw new CliError(`distrag eval retrieval: ${error.message}; pass --data DIR, a directory in Spider's format`);
    throw error;
  }
  const unknown = [...(databases ?? [])].filter((d) => !dataset.schemas.has(d));
  if (unknown.length > 0) throw new CliError(`distrag eval retrieval: --databases names ${unknown.join(', ')}, not in ${dataset.dir}/tables.json`, 2);
  const outDir = path.resolve(values.out ?? resultsDir);
  const report = (line: string) => console.error(`distrag eval retrieval: ${line}`);
  const log = evalLogger();
  const state = await loadEmbedder(config, log);
  if (!state.enabled) throw new CliError(`distrag eval retrieval: no embedder: ${state.reason}`);
  try {
    const { result, files } = await runRetrievalEval({ dataset, outDir, embedder: state.embedder, bm25Weight: config.DISTRAG_RAG_BM25_WEIGHT, neighbourWeight: config.DISTRAG_RAG_NEIGHBOUR_WEIGHT, databases, limit, log, report });
    report(`wrote ${files.join(', ')}`);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(renderRetrievalEval(result, path.join(outDir, 'retrieval-eval.svg')));
    return 0;
  } finally {
    await state.embedder.close();
  }
}
