import type { GuardPolicy } from '../../src/cache/cache-guard.js';
import type { CacheEvaluation } from './cache-evaluation.js';
import type { EvalStamp } from '../eval-stamp.js';

/** Version of the layout below. */
export const CACHE_EVAL_FORMAT = 1;

/** What one `npx distrag eval cache` measured: bench/results/cache-eval.json. */
export interface CacheEvalResult extends EvalStamp, CacheEvaluation {
  format: typeof CACHE_EVAL_FORMAT;
  eval: 'cache';
  /** The embedder's id (model and settings). */
  embedder: string;
  guard: { policy: GuardPolicy; available: boolean; unavailableReason: string | null };
  /** Conclusions drawn from this run's figures (goal met or not). */
  notes: string[];
  /** How the eval measures: no figure. */
  method: string[];
}
