import type { WeightsCrossValidation } from './cross-validate-weights.js';
import type { VariantScores } from './evaluate-retrieval.js';
import type { EvalStamp } from '../eval-stamp.js';

/** Version of the layout below. */
export const RETRIEVAL_EVAL_FORMAT = 1;

/** The goal: every gold table among the top 3 for this share of questions. */
export const RETRIEVAL_GOAL = { k: 3, allGold: 0.97 } as const;

/** What one `npx distrag eval retrieval` measured: bench/results/retrieval-eval.json. */
export interface RetrievalEvalResult extends EvalStamp {
  format: typeof RETRIEVAL_EVAL_FORMAT;
  eval: 'retrieval';
  embedder: string;
  counts: {
    databases: number;
    /** Tables in the one catalog every question is searched over. */
    tables: number;
    questions: number;
    /** Gold queries whose tables came from a token scan (PostgreSQL's parser refused them). */
    goldByTokenScan: number;
    /** Questions left out: no table found in their gold query, or one the catalog lacks. */
    skipped: number;
  };
  goal: typeof RETRIEVAL_GOAL;
  /** One per ablation, the last being what the ask path uses. */
  variants: VariantScores[];
  /** The weights chosen leaving one database out, and their held-out figures (null with fewer than two databases). */
  crossValidation: WeightsCrossValidation | null;
  /** Conclusions drawn from this run's figures (goal met or not). */
  notes: string[];
  /** How the eval measures: no figure. */
  method: string[];
}
