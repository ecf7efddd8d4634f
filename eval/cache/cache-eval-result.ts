import type { GuardPolicy } from '../../src/cache/cache-guard.js';
import type { CacheEvaluation } from './cache-evaluation.js';

/** Version of the layout below. */
export const CACHE_EVAL_FORMAT = 1;

/** What one `npx distrag eval cache` measured: bench/results/cache-eval.json. */
export interface CacheEvalResult extends CacheEvaluation {
  format: typeof CACHE_EVAL_FORMAT;
  eval: 'cache';
  /** The full commit of the code evaluated ('unknown' outside git), as the benchmarks stamp it. */
  commit: string;
  dirty: boolean;
  /** When the eval finished (ISO 8601). */
  date: string;
  elapsedSeconds: number;
  /** The dataset directory, relative to the project root. */
  data: string;
  /** The embedder's id (model and settings). */
  embedder: string;
  guard: { policy: GuardPolicy; available: boolean; unavailableReason: string | null };
  /** Conclusions drawn from this run's figures (goal met or not). */
  notes: string[];
  /** How the eval measures: no figure. */
  method: string[];
}
