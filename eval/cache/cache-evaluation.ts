/** How often the cache answers at one threshold, for one way of deciding (raw cosine, or cosine and guard). */
export interface CacheScores {
  /** Paraphrase trials answered: cosine ≥ threshold and, for the guard, HIT or REBOUND to the same gold SQL. */
  paraphraseHits: number;
  paraphraseRecall: number;
  /** Different-SQL trials answered wrongly: HIT, or REBOUND to SQL other than the incoming question's gold. */
  falseHits: number;
  falseHitRate: number;
  /** Different-SQL trials the guard rebound to exactly the incoming question's gold SQL (right answers; not false hits). */
  correctRebinds: number;
  naturalLiteral: LiteralScores;
  syntheticLiteral: LiteralScores;
}

/** Literal-swap trials at one threshold; raw cosine has no rebinding, so its candidates are all plain hits. */
export interface LiteralScores {
  trials: number;
  /** Cosine ≥ threshold. */
  candidates: number;
  /** Answered with the cached SQL as is: always wrong, the value differs. */
  plainHits: number;
  /** REBOUND to exactly the expected SQL. */
  rebindsCorrect: number;
  rebindsWrong: number;
}

export interface ThresholdRow {
  threshold: number;
  raw: CacheScores;
  /** Null when no guard was available. */
  guard: CacheScores | null;
}

/** The threshold with the highest paraphrase recall whose false-hit rate stays within `maxFalseHitRate` (the lowest such). */
export interface BestThreshold {
  maxFalseHitRate: number;
  /** Null when no threshold stays within it. */
  threshold: number | null;
  recall: number;
  falseHitRate: number;
  /** Literal-swap trials answered wrongly there (plain hits and wrong rebinds, natural and synthetic). */
  wrongLiteralHits: number;
}

export interface CacheEvalCounts {
  questions: number;
  databases: number;
  /** Gold queries PostgreSQL's parser refuses after conversion (no literal swaps from them; their REBOUNDs cannot be checked). */
  unparsedGold: number;
  /** Unordered pairs; each is scored in both directions (trials = 2 × pairs). */
  paraphrasePairs: number;
  differentSqlPairs: number;
  naturalLiteralPairs: number;
  /** Synthetic swaps, each one trial (cached: the dataset question; incoming: the swapped one). */
  syntheticSwaps: number;
  guardCalls: number;
  /** Guard calls that threw (scored as REJECT); the first message is in `guardError`. */
  guardErrors: number;
  guardError: string | null;
}

/** What `evaluateCache` computes: pair counts, scores per threshold, best thresholds. */
export interface CacheEvaluation {
  counts: CacheEvalCounts;
  rows: ThresholdRow[];
  best: { raw: BestThreshold[]; guard: BestThreshold[] | null };
}

/** The false-hit rates best thresholds are picked for. */
export const FALSE_HIT_LIMITS = [0.01, 0.001] as const;

/** What the cache is meant to reach. */
export const CACHE_GOAL = { recall: 0.8, maxFalseHitRate: 0.01, wrongLiteralHits: 0 } as const;

/** Literal-swap trials answered wrongly: plain hits and wrong rebinds, natural and synthetic. */
export function wrongLiteralHits(s: CacheScores): number {
  return s.naturalLiteral.plainHits + s.naturalLiteral.rebindsWrong + s.syntheticLiteral.plainHits + s.syntheticLiteral.rebindsWrong;
}
