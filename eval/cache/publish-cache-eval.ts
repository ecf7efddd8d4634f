import fs from 'node:fs';
import path from 'node:path';
import { replaceReadmeBlock } from '../../bench/readme-block.js';
import { resultsDir } from '../../bench/write-results.js';
import { projectRoot } from '../../src/paths.js';
import type { CacheEvalResult } from './cache-eval-result.js';
import { renderCacheEval } from './render-cache-eval.js';

export const CACHE_EVAL_BLOCK = 'eval:cache';

/** Rewrites the README between `<!-- eval:cache:start -->` and `<!-- eval:cache:end -->` from a result in bench/results/. */
export function publishCacheEval(result: CacheEvalResult): string {
  const readmeFile = path.join(projectRoot, 'README.md');
  const plot = path.relative(projectRoot, path.join(resultsDir, 'cache-eval.svg'));
  const readme = fs.readFileSync(readmeFile, 'utf8');
  const next = replaceReadmeBlock(readme, CACHE_EVAL_BLOCK, 'from bench/results/cache-eval.json by `npx distrag eval cache --readme`', renderCacheEval(result, plot));
  if (next === null) throw new Error(`README.md has no <!-- ${CACHE_EVAL_BLOCK}:start --> … <!-- ${CACHE_EVAL_BLOCK}:end --> markers; add them where the cache eval belongs`);
  fs.writeFileSync(readmeFile, next);
  return readmeFile;
}
