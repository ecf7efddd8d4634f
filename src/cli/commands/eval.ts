import path from 'node:path';
import { resultsDir } from '../../../bench/write-results.js';
import { publishCacheEval } from '../../../eval/cache/publish-cache-eval.js';
import { renderCacheEval } from '../../../eval/cache/render-cache-eval.js';
import { runCacheEval } from '../../../eval/cache/run-cache-eval.js';
import { renderRetrievalEval } from '../../../eval/retrieval/render-retrieval-eval.js';
import { runRetrievalEval } from '../../../eval/retrieval/run-retrieval-eval.js';
import { defaultSpiderDir, loadSpiderDataset, SpiderDatasetError, type SpiderDataset } from '../../../eval/spider/spider-dataset.js';
import type { Config } from '../../config/config.js';
import type { Embedder } from '../../embed/embedder.js';
import { loadEmbedder } from '../../embed/load-embedder.js';
import { createLogger } from '../../log/logger.js';
import { CliError } from '../cli-error.js';
import { parseCount, parseFlags } from '../parse-flags.js';

const EVALS = ['cache', 'retrieval'];

/**
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
  if (values.readme && values.out !== undefined) throw new CliError('distrag eval cache --readme publishes bench/results/; it takes no --out', 2);
  let dataset: SpiderDataset;
  try {
    dataset = loadSpiderDataset(path.resolve(values.data ?? defaultSpiderDir()));
  } catch (error) {
    if (error instanceof SpiderDatasetError) throw new CliError(`distrag eval cache: ${error.message}; pass --data DIR, a directory in Spider's format`);
    throw error;
  }
  const outDir = path.resolve(values.out ?? resultsDir);
  const report = (line: string) => console.error(`distrag eval cache: ${line}`);

  const state = await loadEmbedder(config, createLogger('eval', 'warn'));
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
  const log = createLogger('eval', 'warn');
  const state = await loadEmbedder(config, log);
  if (!state.enabled) throw new CliError(`distrag eval retrieval: no embedder: ${state.reason}`);
  try {
    const { result, files } = await runRetrievalEval({ dataset, outDir, embedder: state.embedder, bm25Weight: config.DISTRAG_RAG_BM25_WEIGHT, databases, limit, log, report });
    report(`wrote ${files.join(', ')}`);
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(renderRetrievalEval(result, path.join(outDir, 'retrieval-eval.svg')));
    return 0;
  } finally {
    await state.embedder.close();
  }
}
