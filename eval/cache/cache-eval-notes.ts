import { CACHE_GOAL, type BestThreshold, type CacheEvaluation } from './cache-evaluation.js';
import { describeBest } from './render-cache-eval.js';

/** How the cache eval measures (prose, no figure). */
export const CACHE_EVAL_METHOD = [
  'Paraphrase pairs: two questions of one database whose gold SQL is the same (equal PostgreSQL parse trees, constants by value; text up to whitespace and case for SQL the parser refuses). Different-SQL pairs: every other pair of one database. Each pair is asked both ways (cached A, incoming B and the reverse); recall and false-hit rate are over these trials.',
  'Literal swaps: natural ones are different-SQL pairs whose gold SQL differ only in constants (not only in their case); synthetic ones take a gold query constant compared with a column (not LIMIT) that the question names word for word once, and replace it in question and SQL by the next value of that column (sorted) from the database rows, or from the constants the dataset compares that column with when the rows are missing.',
  'Raw cosine: a trial is a hit when the questions’ cosine reaches the threshold. Guard: as in the cache, the cached question is a candidate when the cosine reaches the threshold or, with rebinding on, when both questions have the same template (their words without the literals), and `judgeCandidate` — given the database’s schema vocabulary, the words of the table and column names its gold SQL uses, as a tenant’s cache holding those entries has it — says HIT, or REBOUND with SQL that, parameters bound, parses to the same tree as the incoming question’s gold (or the swap’s expected) SQL — constants compared as text. A different-SQL REBOUND to the incoming question’s own gold SQL is a correct rebind, not a false hit; a literal swap must never be a plain HIT.',
  'The guard’s rules were developed on this dataset (there is no held-out set here): read the guard figures as what the rules reach on the questions they were written against, and run `--data` on other questions to check them. Gold SQL is SQLite’s: double-quoted strings become single-quoted for PostgreSQL’s parser (libpg-query); queries it still refuses give no literal swaps.',
  'Each threshold from 0.50 to 0.99 in steps of 0.01 is scored; the table shows every 0.02 from 0.60 and, in bold, the best thresholds (highest recall within the false-hit limit).',
];

/** The conclusions: best thresholds of raw cosine and guard, and whether the goal is met. */
export function cacheEvalNotes(evaluation: CacheEvaluation, guardUnavailable: string | null): string[] {
  const goal = `Goal ≥ ${CACHE_GOAL.recall * 100}% paraphrase recall at ≤ ${CACHE_GOAL.maxFalseHitRate * 100}% false hits with ${CACHE_GOAL.wrongLiteralHits} wrong literal-swap hits`;
  const verdict = (best: BestThreshold[]) => {
    const at = best.find((b) => b.maxFalseHitRate === CACHE_GOAL.maxFalseHitRate)!;
    return at.threshold !== null && at.recall >= CACHE_GOAL.recall && at.wrongLiteralHits <= CACHE_GOAL.wrongLiteralHits ? 'met' : 'not met';
  };
  const notes = [`Raw cosine: ${evaluation.best.raw.map(describeBest).join('; ')}.`];
  if (evaluation.best.guard) notes.push(`Guard: ${evaluation.best.guard.map(describeBest).join('; ')}.`);
  notes.push(`${goal}: raw cosine ${verdict(evaluation.best.raw)}; guard ${evaluation.best.guard ? verdict(evaluation.best.guard) : `not measured (${guardUnavailable ?? 'no guard'})`}.`);
  return notes;
}
