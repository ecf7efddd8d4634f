import path from 'node:path';
import { resultsDir } from '../../../bench/write-results.js';
import { publishCacheEval } from '../../../eval/cache/publish-cache-eval.js';
import { renderCacheEval } from '../../../eval/cache/render-cache-eval.js';
import { runCacheEval } from '../../../eval/cache/run-cache-eval.js';
import { defaultSpiderDir, loadSpiderDataset, SpiderDatasetError, type SpiderDataset } from '../../../eval/spider/spider-dataset.js';
import type { Config } from '../../config/config.js';
import type { Embedder } from '../../embed/embedder.js';
import { loadEmbedder } from '../../embed/load-embedder.js';
import { createLogger } from '../../log/logger.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

const EVALS = ['cache'];

/**
 * `distrag eval cache [--data DIR] [--out DIR] [--json] [--readme]`: the semantic cache's precision
 * on a Spider-format dataset (see eval/cache/evaluate-cache.ts). Writes cache-eval.{json,md,svg}
 * to --out (bench/results/), prints the table (or with --json the result) on stdout, progress on
 * stderr; --readme also rewrites the README's block from this run.
 */
export async function evalCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags(
    'eval',
    args,
    { data: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, readme: { type: 'boolean' } },
    1,
  );
  const name = positionals[0];
  if (name === undefined || !EVALS.includes(name)) throw new CliError(`distrag eval: ${name === undefined ? 'name an eval' : `unknown eval "${name}"`}; known: ${EVALS.join(', ')}`, 2);
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
