/** What a search knows of one question before any weight applies (SchemaIndex.gatherEvidence). */
export interface TableEvidence {
  /** Cosine similarity to the question of the vector store's nearest visible tables. */
  nearest: ReadonlyMap<string, number>;
  /** Every visible table's BM25 score for the question divided by the best one's (see Bm25Index). */
  lexical: ReadonlyMap<string, number>;
  /** Cosine similarity to the question of any visible table (from the vectors in memory). */
  cosineOf: (name: string) => number;
  /** A table's visible foreign-key neighbours (the tables it references and those referencing it). */
  neighbours: (name: string) => Iterable<string>;
  /** How many of the best BM25 matches join the candidates. */
  lexicalCandidates: number;
}

/** The two weights of table retrieval (DISTRAG_RAG_BM25_WEIGHT, DISTRAG_RAG_NEIGHBOUR_WEIGHT). */
export interface RankingWeights {
  /** Weight of the normalised BM25 score in the fused score (0: cosine alone). */
  bm25Weight: number;
  /** Share of the best foreign-key neighbour's fused score added to a table's (0: none). */
  neighbourWeight: number;
}

/**
 * The `k` best tables for a question, best first, from its evidence: no I/O, so that an eval can
 * weigh one question's evidence many ways. Candidates: the vector store's nearest tables, the best
 * BM25 matches (when bm25Weight > 0) and their neighbours (when neighbourWeight > 0). Score:
 * (1 − w) · cosine + w · BM25, w = bm25Weight, plus neighbourWeight times the best such score
 * among the table's neighbours. Ties go by name.
 */
export function rankTables(evidence: TableEvidence, weights: RankingWeights, k: number): Array<{ name: string; score: number }> {
  const { bm25Weight, neighbourWeight } = weights;
  const cosine = new Map(evidence.nearest);
  if (bm25Weight > 0) {
    const lexicalBest = [...evidence.lexical].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]).slice(0, evidence.lexicalCandidates);
    for (const [name] of lexicalBest) if (!cosine.has(name)) cosine.set(name, evidence.cosineOf(name));
  }
  if (neighbourWeight > 0) {
    for (const name of [...cosine.keys()]) {
      for (const n of evidence.neighbours(name)) if (!cosine.has(n)) cosine.set(n, evidence.cosineOf(n));
    }
  }
  const lexical = (name: string) => (bm25Weight > 0 ? (evidence.lexical.get(name) ?? 0) : 0);
  const fused = new Map([...cosine].map(([name, cos]) => [name, (1 - bm25Weight) * cos + bm25Weight * lexical(name)]));
  const boost = (name: string) => {
    if (neighbourWeight === 0) return 0;
    const best = Math.max(0, ...[...evidence.neighbours(name)].map((n) => fused.get(n) ?? 0));
    return neighbourWeight * best;
  };
  return [...fused]
    .map(([name, score]) => ({ name, score: score + boost(name) }))
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .slice(0, k);
}
