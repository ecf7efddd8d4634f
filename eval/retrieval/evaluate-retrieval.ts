import type { Embedder } from '../../src/embed/embedder.js';
import type { Logger } from '../../src/log/logger.js';
import { chromaClient } from '../../subgraphs/rag/retrieve/chroma-collection.js';
import { SchemaIndex } from '../../subgraphs/rag/retrieve/schema-index.js';
import type { TableInfo } from '../../subgraphs/rag/retrieve/table-info.js';

/** The cut-offs measured. */
export const RETRIEVAL_KS = [1, 3, 5, 10] as const;
/** Searches in flight at once (the embedder batches them). */
const CONCURRENT_SEARCHES = 16;
/** Misses of the top 3 kept per variant in the result, for reading. */
const MISSES_KEPT = 40;

/** One way of indexing: the text embedded per table and the BM25 weight. */
export interface RetrievalVariant {
  id: string;
  label: string;
  summarize: (table: TableInfo) => string;
  bm25Weight: number;
  /** Share of the best foreign-key neighbour's score added (see SchemaIndex). */
  neighbourWeight: number;
}

/** A question with the tables its gold SQL reads. */
export interface GoldQuestion {
  db: string;
  question: string;
  gold: string[];
}

/** Figures by k (`"1"`, `"3"`, `"5"`, `"10"`). */
export type ByK = Record<string, number>;

export interface VariantScores {
  id: string;
  label: string;
  bm25Weight: number;
  neighbourWeight: number;
  /** Mean share of a question's gold tables among the top k. */
  recall: ByK;
  /** Share of questions with every gold table among the top k. */
  allGold: ByK;
  /** Questions whose gold tables are not all in the top 3 (the first MISSES_KEPT). */
  missesAt3: Array<{ question: string; gold: string[]; top3: string[] }>;
  missesAt3Count: number;
}

/**
 * Indexes the catalog once per variant in its own collection and runs every question through
 * SchemaIndex.search over the whole catalog (every table visible), scoring the ranks of the gold
 * tables. Each variant's collection is deleted afterwards.
 */
export async function evaluateRetrieval(options: {
  catalog: TableInfo[];
  questions: GoldQuestion[];
  variants: RetrievalVariant[];
  chromaUrl: string;
  embedder: Embedder;
  /** Prefix of the collections (one run's own). */
  namespace: string;
  log: Logger;
  report: (line: string) => void;
}): Promise<VariantScores[]> {
  const visible = new Set(options.catalog.map((t) => t.name));
  const kMax = Math.max(...RETRIEVAL_KS);
  const scores: VariantScores[] = [];
  for (const variant of options.variants) {
    const index = new SchemaIndex({
      chromaUrl: options.chromaUrl,
      embedder: options.embedder,
      bm25Weight: variant.bm25Weight,
      log: options.log,
      namespace: `${options.namespace}${variant.id.replace(/[^a-z0-9]/gi, '_')}_`,
      summarize: variant.summarize,
      neighbourWeight: variant.neighbourWeight,
    });
    await index.replaceAll(options.catalog);
    const rankings: string[][] = [];
    for (let i = 0; i < options.questions.length; i += CONCURRENT_SEARCHES) {
      const batch = options.questions.slice(i, i + CONCURRENT_SEARCHES);
      rankings.push(...(await Promise.all(batch.map(async (q) => (await index.search(q.question, { k: kMax, visible })).map((r) => r.name)))));
    }
    await chromaClient(options.chromaUrl).deleteCollection({ name: index.collectionName });
    scores.push(scoreVariant(variant, options.questions, rankings));
    options.report(`${variant.label}: every gold table in the top 3 for ${(scores.at(-1)!.allGold['3']! * 100).toFixed(2)}% of questions`);
  }
  return scores;
}

/** Recall and all-gold shares of one variant's rankings (rankings[i] for questions[i]). */
export function scoreVariant(variant: RetrievalVariant, questions: GoldQuestion[], rankings: string[][]): VariantScores {
  const recall: ByK = {};
  const allGold: ByK = {};
  for (const k of RETRIEVAL_KS) {
    let recallSum = 0;
    let complete = 0;
    questions.forEach((q, i) => {
      const top = new Set(rankings[i]!.slice(0, k));
      const found = q.gold.filter((g) => top.has(g)).length;
      recallSum += found / q.gold.length;
      if (found === q.gold.length) complete += 1;
    });
    recall[String(k)] = round(recallSum / questions.length);
    allGold[String(k)] = round(complete / questions.length);
  }
  const misses = questions
    .map((q, i) => ({ question: q.question, gold: q.gold, top3: rankings[i]!.slice(0, 3) }))
    .filter((m) => !m.gold.every((g) => m.top3.includes(g)));
  return { id: variant.id, label: variant.label, bm25Weight: variant.bm25Weight, neighbourWeight: variant.neighbourWeight, recall, allGold, missesAt3: misses.slice(0, MISSES_KEPT), missesAt3Count: misses.length };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
