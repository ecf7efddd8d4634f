import type { GuardDecision } from '../../src/cache/cache-guard.js';
import type { SpiderQuestion } from '../spider/spider-dataset.js';
import { sqlShape } from '../spider/sql-shape.js';
import { buildCachePairs, type QuestionPair } from './cache-pairs.js';
import { FALSE_HIT_LIMITS, type BestThreshold, type CacheEvalCounts, type CacheEvaluation, type CacheScores, type LiteralScores, type ThresholdRow, wrongLiteralHits } from './cache-evaluation.js';
import type { LiteralSwap } from './literal-swaps.js';
import { prepareQuestions } from './prepare-questions.js';

/** The guard as the eval asks it: may `cached` (of database `db`) answer `incoming`? (`judgeCandidate` with a policy bound.) */
export type EvalGuard = (cached: { question: string; sql: string; db: string }, incoming: string) => GuardDecision;

/**
 * Whether the cache would consider `cached` for `incoming` whatever their cosine: with rebinding
 * on, entries whose question has the same template (literals masked) are candidates too.
 */
export type TemplateCandidate = (cached: string, incoming: string) => boolean;

export interface CacheEvalInput {
  questions: readonly SpiderQuestion[];
  /** Made by `buildLiteralSwaps` from the same questions. */
  swaps: readonly LiteralSwap[];
  /** A vector for every question and every swap's incoming question, by text. */
  vectors: ReadonlyMap<string, Float32Array>;
  /** Null: score raw cosine only. */
  guard: EvalGuard | null;
  /** Absent: only the cosine makes a candidate. */
  templateCandidate?: TemplateCandidate;
  /** Ascending. */
  thresholds: readonly number[];
}

type Outcome = 'reject' | 'hit' | 'rebind-right' | 'rebind-wrong';

/** One question answered (or not) by another's cache entry. */
interface Trial {
  cosine: number;
  /** A candidate below the threshold too (same template, rebinding on). */
  sameTemplate: boolean;
  /** The guard's verdict; 'reject' when the guard was not asked (no guard, or cosine below every threshold). */
  outcome: Outcome;
}

/** Thresholds from 0.50 to 0.99 in steps of 0.01. */
export function defaultThresholds(): number[] {
  return Array.from({ length: 50 }, (_, i) => (50 + i) / 100);
}

/**
 * Scores the semantic cache on a Spider-format dataset: builds the question pairs (`buildCachePairs`),
 * asks each in both directions whether the cached one would answer the incoming one — by cosine
 * alone, and by cosine and guard — and counts, per threshold, paraphrases answered, different-SQL
 * questions answered wrongly and literal swaps answered as is or rebound (right or wrong).
 * A REBOUND is right when its SQL with the parameters bound parses to the same tree as the expected
 * SQL (`sqlShape`). The guard is asked once per trial whose cosine reaches the lowest threshold.
 */
export async function evaluateCache(input: CacheEvalInput): Promise<CacheEvaluation> {
  const questions = await prepareQuestions(input.questions);
  const pairs = buildCachePairs(questions);
  const lowest = Math.min(...input.thresholds);
  const counts: CacheEvalCounts = {
    questions: questions.length,
    databases: new Set(questions.map((q) => q.db)).size,
    unparsedGold: questions.filter((q) => q.shape === null).length,
    paraphrasePairs: pairs.paraphrase.length,
    differentSqlPairs: pairs.differentSql.length,
    naturalLiteralPairs: pairs.naturalLiteral.length,
    syntheticSwaps: input.swaps.length,
    guardCalls: 0,
    guardErrors: 0,
    guardError: null,
  };

  const vectorOf = (text: string) => {
    const v = input.vectors.get(text);
    if (!v) throw new Error(`no vector for "${text}"`);
    return v;
  };
  const trial = async (cached: { question: string; sql: string; db: string }, incoming: string, expectedShape: string | null): Promise<Trial> => {
    const cosine = cosineOf(vectorOf(cached.question), vectorOf(incoming));
    const sameTemplate = input.templateCandidate?.(cached.question, incoming) ?? false;
    if (input.guard === null || (cosine < lowest && !sameTemplate)) return { cosine, sameTemplate, outcome: 'reject' };
    counts.guardCalls += 1;
    let decision: GuardDecision;
    try {
      decision = input.guard(cached, incoming);
    } catch (error) {
      // A cached SQL the parser refuses: the cache would not have stored it.
      counts.guardErrors += 1;
      counts.guardError ??= error instanceof Error ? error.message : String(error);
      return { cosine, sameTemplate, outcome: 'reject' };
    }
    switch (decision.kind) {
      case 'HIT':
        return { cosine, sameTemplate, outcome: 'hit' };
      case 'REJECT':
        return { cosine, sameTemplate, outcome: 'reject' };
      case 'REBOUND': {
        const rebound = await sqlShape(decision.sql, { params: decision.params });
        return { cosine, sameTemplate, outcome: rebound !== null && rebound === expectedShape ? 'rebind-right' : 'rebind-wrong' };
      }
    }
  };
  // Natural literal pairs are different-SQL pairs too: each directed pair is judged once.
  const judged = new Map<string, Trial>();
  const bothWays = async (list: QuestionPair[]) => {
    const trials: Trial[] = [];
    for (const [a, b] of list) {
      for (const [from, to] of [[a, b], [b, a]] as const) {
        const key = `${from}>${to}`;
        const cached = questions[from]!;
        const incoming = questions[to]!;
        if (!judged.has(key)) judged.set(key, await trial({ question: cached.question, sql: cached.sql, db: cached.db }, incoming.question, incoming.shape));
        trials.push(judged.get(key)!);
      }
    }
    return trials;
  };

  const paraphrase = await bothWays(pairs.paraphrase);
  const differentSql = await bothWays(pairs.differentSql);
  const naturalLiteral = await bothWays(pairs.naturalLiteral);
  const synthetic: Trial[] = [];
  for (const swap of input.swaps) synthetic.push(await trial({ ...swap.cached, db: swap.db }, swap.incoming, await sqlShape(swap.expectedSql)));

  const guarded = input.guard !== null;
  const rows: ThresholdRow[] = input.thresholds.map((threshold) => ({
    threshold,
    raw: scoresAt(threshold, false, paraphrase, differentSql, naturalLiteral, synthetic),
    guard: guarded ? scoresAt(threshold, true, paraphrase, differentSql, naturalLiteral, synthetic) : null,
  }));
  return {
    counts,
    rows,
    best: { raw: bestThresholds(rows, (r) => r.raw), guard: guarded ? bestThresholds(rows, (r) => r.guard!) : null },
  };
}

function scoresAt(threshold: number, guarded: boolean, paraphrase: Trial[], differentSql: Trial[], naturalLiteral: Trial[], synthetic: Trial[]): CacheScores {
  const reached = (trials: Trial[]) => trials.filter((t) => t.cosine >= threshold || (guarded && t.sameTemplate));
  const answered = (t: Trial) => !guarded || t.outcome === 'hit' || t.outcome === 'rebind-right';
  const wrong = (t: Trial) => !guarded || t.outcome === 'hit' || t.outcome === 'rebind-wrong';
  const paraphraseHits = reached(paraphrase).filter(answered).length;
  const falseHits = reached(differentSql).filter(wrong).length;
  return {
    paraphraseHits,
    paraphraseRecall: rate(paraphraseHits, paraphrase.length),
    falseHits,
    falseHitRate: rate(falseHits, differentSql.length),
    correctRebinds: guarded ? reached(differentSql).filter((t) => t.outcome === 'rebind-right').length : 0,
    naturalLiteral: literalScores(reached(naturalLiteral), naturalLiteral.length, guarded),
    syntheticLiteral: literalScores(reached(synthetic), synthetic.length, guarded),
  };
}

function literalScores(candidates: Trial[], trials: number, guarded: boolean): LiteralScores {
  const count = (outcome: Outcome) => candidates.filter((t) => t.outcome === outcome).length;
  return {
    trials,
    candidates: candidates.length,
    plainHits: guarded ? count('hit') : candidates.length,
    rebindsCorrect: guarded ? count('rebind-right') : 0,
    rebindsWrong: guarded ? count('rebind-wrong') : 0,
  };
}

function bestThresholds(rows: ThresholdRow[], scores: (row: ThresholdRow) => CacheScores): BestThreshold[] {
  return FALSE_HIT_LIMITS.map((maxFalseHitRate) => {
    let best: ThresholdRow | null = null;
    for (const row of rows) {
      if (scores(row).falseHitRate > maxFalseHitRate) continue;
      if (best === null || scores(row).paraphraseRecall > scores(best).paraphraseRecall) best = row;
    }
    if (best === null) return { maxFalseHitRate, threshold: null, recall: 0, falseHitRate: 0, wrongLiteralHits: 0 };
    const s = scores(best);
    return { maxFalseHitRate, threshold: best.threshold, recall: s.paraphraseRecall, falseHitRate: s.falseHitRate, wrongLiteralHits: wrongLiteralHits(s) };
  });
}

function cosineOf(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
