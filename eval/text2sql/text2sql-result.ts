import type { EvalStamp } from '../eval-stamp.js';

/** Version of the layout below. */
export const TEXT2SQL_EVAL_FORMAT = 1;

/** What a predictor gives for one question: SQL, or none (with why, when it knows). */
export interface Text2SqlPrediction {
  sql: string | null;
  error?: string;
}

/** The question as a predictor gets it: `schema` is the PostgreSQL schema the SQL will run in. */
export interface Text2SqlQuestion {
  question: string;
  db: string;
  schema: string;
}

export type Text2SqlPredict = (q: Text2SqlQuestion) => Promise<Text2SqlPrediction>;

/** What wrote the SQL, for the record: the figure means little without it. */
export interface Text2SqlPredictorInfo {
  /** As `ragStatus` names it: `gemini` or `openai-compatible`. */
  provider: string;
  model: string;
  /** How the prompt's tables were chosen (the embedder, or why every table of the database). */
  retrieval: string;
  /** Attempts after a guard refusal or a reply without SQL. */
  sqlRetries: number;
}

/**
 * How one question went: `correct` (same result as the gold query), `wrong` (ran, other result),
 * `error` (PostgreSQL refused or timed out), `no-sql` (the predictor gave none, or threw).
 */
export type Text2SqlVerdict = 'correct' | 'wrong' | 'error' | 'no-sql';

export interface Text2SqlOutcome {
  db: string;
  question: string;
  gold: string;
  predicted: string | null;
  verdict: Text2SqlVerdict;
  /** PostgreSQL's or the predictor's message for `error` and `no-sql`. */
  detail: string | null;
}

export interface Text2SqlCounts {
  questions: number;
  correct: number;
  wrong: number;
  errors: number;
  noSql: number;
  /** Execution accuracy: correct / questions (0 for none). */
  accuracy: number;
}

/** What one `npx distrag eval text2sql` measured: bench/results/text2sql-eval.json. */
export interface Text2SqlResult extends EvalStamp {
  format: typeof TEXT2SQL_EVAL_FORMAT;
  eval: 'text2sql';
  /** Null when the predictor did not describe itself (tests' scripted predictors). */
  predictor: Text2SqlPredictorInfo | null;
  overall: Text2SqlCounts;
  byDatabase: Record<string, Text2SqlCounts>;
  outcomes: Text2SqlOutcome[];
  /** How the eval measures: no figure. */
  method: string[];
}
