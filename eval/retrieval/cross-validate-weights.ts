import { rankTables, type RankingWeights, type TableEvidence } from '../../subgraphs/rag/retrieve/rank-tables.js';
import type { GoldQuestion } from './evaluate-retrieval.js';

/** The weights tried: every BM25 weight with every neighbour weight. */
export const WEIGHT_GRID = {
  bm25Weights: [0, 0.1, 0.15, 0.2, 0.25, 0.3],
  neighbourWeights: [0, 0.1, 0.2, 0.3, 0.4, 0.5],
} as const;

/** The cut-off the weights are chosen and judged at (the goal's). */
const CV_K = 3;

/** One grid point's figures on a set of questions. */
export interface WeightsScore extends RankingWeights {
  /** Share of the questions with every gold table in the top 3. */
  allGoldAt3: number;
  /** Mean share of a question's gold tables in the top 3. */
  recallAt3: number;
}

/** One fold: the weights chosen on the other databases' questions, then measured on this one's. */
export interface WeightsFold {
  /** The database whose questions are held out. */
  database: string;
  chosen: RankingWeights;
  training: { questions: number; allGoldAt3: number };
  heldOut: { questions: number; allGoldAt3: number };
}

/** What `crossValidateWeights` measured: bench/results/retrieval-eval.json's `crossValidation`. */
export interface WeightsCrossValidation {
  grid: { bm25Weights: number[]; neighbourWeights: number[] };
  /** One fold per database, in the order of the questions. */
  folds: WeightsFold[];
  /** Every question scored with the weights chosen without its database: the honest figure. */
  pooledHeldOut: { questions: number; complete: number; allGoldAt3: number };
  /** The settings the folds chose, with how many folds chose each, most first. */
  choices: Array<RankingWeights & { folds: number }>;
  /** Every grid point on all the questions: tuned figures (the data the weights are chosen on), for reading. */
  allQuestions: WeightsScore[];
}

/**
 * Leave-one-database-out choice of (bm25Weight, neighbourWeight): for each database, the grid
 * point with the most training questions (those of every other database) with all gold tables
 * in the top 3 — ties to the higher recall@3, then the smaller BM25 weight, then the smaller
 * neighbour weight — measured on the held-out database's questions. Each question is ranked by
 * rankTables from its evidence (evidence[i] for questions[i], gathered over the whole catalog),
 * so only the questions are split, never the tables searched.
 */
export function crossValidateWeights(questions: GoldQuestion[], evidence: TableEvidence[], grid: { bm25Weights: readonly number[]; neighbourWeights: readonly number[] } = WEIGHT_GRID): WeightsCrossValidation {
  const points = grid.bm25Weights.flatMap((bm25Weight) => grid.neighbourWeights.map((neighbourWeight): RankingWeights => ({ bm25Weight, neighbourWeight })));
  // hits[p][i]: how many of question i's gold tables are in its top 3 under point p.
  const hits = points.map((weights) =>
    questions.map((q, i) => {
      const top = new Set(rankTables(evidence[i]!, weights, CV_K).map((r) => r.name));
      return q.gold.filter((g) => top.has(g)).length;
    }),
  );
  const scoreOn = (p: number, members: number[]) => {
    const complete = members.filter((i) => hits[p]![i] === questions[i]!.gold.length).length;
    const recall = members.reduce((sum, i) => sum + hits[p]![i]! / questions[i]!.gold.length, 0);
    return { complete, recall, questions: members.length };
  };
  const databases = [...new Set(questions.map((q) => q.db))];
  const folds: WeightsFold[] = [];
  let pooledComplete = 0;
  for (const database of databases) {
    const training = questions.flatMap((q, i) => (q.db === database ? [] : [i]));
    const heldOut = questions.flatMap((q, i) => (q.db === database ? [i] : []));
    const best = points
      .map((weights, p) => ({ p, weights, ...scoreOn(p, training) }))
      .sort((a, b) => b.complete - a.complete || b.recall - a.recall || a.weights.bm25Weight - b.weights.bm25Weight || a.weights.neighbourWeight - b.weights.neighbourWeight)[0]!;
    const held = scoreOn(best.p, heldOut);
    pooledComplete += held.complete;
    folds.push({
      database,
      chosen: best.weights,
      training: { questions: training.length, allGoldAt3: share(best.complete, training.length) },
      heldOut: { questions: heldOut.length, allGoldAt3: share(held.complete, heldOut.length) },
    });
  }
  const all = questions.map((_, i) => i);
  const choices = new Map<string, RankingWeights & { folds: number }>();
  for (const fold of folds) {
    const key = `${fold.chosen.bm25Weight}/${fold.chosen.neighbourWeight}`;
    const choice = choices.get(key) ?? { ...fold.chosen, folds: 0 };
    choice.folds += 1;
    choices.set(key, choice);
  }
  return {
    grid: { bm25Weights: [...grid.bm25Weights], neighbourWeights: [...grid.neighbourWeights] },
    folds,
    pooledHeldOut: { questions: questions.length, complete: pooledComplete, allGoldAt3: share(pooledComplete, questions.length) },
    choices: [...choices.values()].sort((a, b) => b.folds - a.folds || a.bm25Weight - b.bm25Weight || a.neighbourWeight - b.neighbourWeight),
    allQuestions: points.map((weights, p) => {
      const score = scoreOn(p, all);
      return { ...weights, allGoldAt3: share(score.complete, all.length), recallAt3: share(score.recall, all.length) };
    }),
  };
}

function share(count: number, of: number): number {
  return of === 0 ? 0 : Math.round((count / of) * 10_000) / 10_000;
}
