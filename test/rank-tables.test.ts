import { describe, expect, it } from 'vitest';
import { crossValidateWeights } from '../eval/retrieval/cross-validate-weights.js';
import { rankTables, type TableEvidence } from '../subgraphs/rag/retrieve/rank-tables.js';

// a.link joins a.left and a.right; b.solo stands alone. Cosines and BM25 scores are made up.
const LINKS: Record<string, string[]> = { 'a.left': ['a.link'], 'a.right': ['a.link'], 'a.link': ['a.left', 'a.right'], 'b.solo': [] };
const COSINES: Record<string, number> = { 'a.left': 0.6, 'a.right': 0.55, 'a.link': 0.3, 'b.solo': 0.58 };

function evidence(nearest: string[], lexical: Record<string, number>): TableEvidence {
  return {
    nearest: new Map(nearest.map((n) => [n, COSINES[n]!])),
    lexical: new Map(Object.entries(lexical)),
    cosineOf: (name) => COSINES[name]!,
    neighbours: (name) => LINKS[name] ?? [],
    lexicalCandidates: 20,
  };
}

describe('rankTables', () => {
  it('ranks by cosine alone when both weights are 0, candidates only from the vector store', () => {
    const e = evidence(['a.left', 'b.solo', 'a.right'], { 'a.link': 1 });
    expect(rankTables(e, { bm25Weight: 0, neighbourWeight: 0 }, 5).map((r) => r.name)).toEqual(['a.left', 'b.solo', 'a.right']);
  });

  it('adds the best BM25 matches as candidates and fuses their scores', () => {
    const e = evidence(['a.left', 'b.solo'], { 'a.link': 1, 'a.left': 0.5 });
    const ranked = rankTables(e, { bm25Weight: 0.5, neighbourWeight: 0 }, 5);
    expect(ranked.map((r) => r.name)).toEqual(['a.link', 'a.left', 'b.solo']);
    expect(ranked[0]!.score).toBeCloseTo(0.5 * 0.3 + 0.5 * 1);
  });

  it('lifts a join table by its neighbours and brings in neighbours the store did not return', () => {
    const e = evidence(['a.left', 'b.solo', 'a.right'], {});
    const ranked = rankTables(e, { bm25Weight: 0, neighbourWeight: 0.5 }, 3);
    expect(ranked.map((r) => r.name)).toEqual(['a.left', 'a.right', 'a.link']);
    expect(ranked[2]!.score).toBeCloseTo(0.3 + 0.5 * 0.6);
  });
});

describe('crossValidateWeights', () => {
  it('chooses per held-out database on the other databases and pools the held-out figures', () => {
    // Database x needs the join table (neighbours help); database y's question is lost by them.
    const questions = [
      { db: 'x', question: 'q1', gold: ['a.left', 'a.right', 'a.link'] },
      { db: 'x', question: 'q2', gold: ['a.left', 'a.right', 'a.link'] },
      { db: 'y', question: 'q3', gold: ['b.solo'] },
    ];
    const evidences = [evidence(['a.left', 'b.solo', 'a.right'], {}), evidence(['a.left', 'b.solo', 'a.right'], {}), evidence(['a.left', 'b.solo', 'a.right'], {})];
    const cv = crossValidateWeights(questions, evidences, { bm25Weights: [0], neighbourWeights: [0, 0.5] });
    // Holding out x, y's question prefers no neighbour weight, which loses x's; holding out y, x's prefer 0.5, which loses y's.
    expect(cv.folds).toEqual([
      { database: 'x', chosen: { bm25Weight: 0, neighbourWeight: 0 }, training: { questions: 1, allGoldAt3: 1 }, heldOut: { questions: 2, allGoldAt3: 0 } },
      { database: 'y', chosen: { bm25Weight: 0, neighbourWeight: 0.5 }, training: { questions: 2, allGoldAt3: 1 }, heldOut: { questions: 1, allGoldAt3: 0 } },
    ]);
    expect(cv.pooledHeldOut).toEqual({ questions: 3, complete: 0, allGoldAt3: 0 });
    expect(cv.allQuestions.map((p) => p.allGoldAt3)).toEqual([0.3333, 0.6667]);
    expect(cv.choices).toEqual([
      { bm25Weight: 0, neighbourWeight: 0, folds: 1 },
      { bm25Weight: 0, neighbourWeight: 0.5, folds: 1 },
    ]);
  });
});
