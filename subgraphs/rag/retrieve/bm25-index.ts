import inflection from 'inflection';
import { LruMap } from '../../../src/lru-map.js';
import { splitIdentifier } from './split-identifier.js';
import type { TableInfo } from './table-info.js';

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const K1 = 1.2;
const B = 0.75;
/** The table's own name counts this many times its column words: it says most what the table is about. */
const TABLE_NAME_WEIGHT = 2;

/** Question words that name no table or column. */
const STOP_WORDS = new Set(
  'a an and are as at be by did do does each for from had has have how i in is it its list many me much of on or show that the their them there these this those to was were what when where which who whom whose why with all any give find return tell number count'.split(' '),
);

/**
 * BM25 over the words of table and column names (split, lower-case, singular), kept in memory:
 * the lexical half of table retrieval, where a question naming a column matches it exactly even
 * when the embedding of the whole summary does not bring it close.
 */
export class Bm25Index {
  private readonly docs = new Map<string, { terms: Map<string, number>; length: number }>();
  private readonly documentFrequency = new Map<string, number>();
  private totalLength = 0;

  set(table: TableInfo): void {
    this.delete(table.name);
    const terms = new Map<string, number>();
    const add = (word: string, weight: number) => terms.set(word, (terms.get(word) ?? 0) + weight);
    for (const w of normalizedWords(table.table)) add(w, TABLE_NAME_WEIGHT);
    for (const c of table.columns) for (const w of normalizedWords(c.name)) add(w, 1);
    const length = [...terms.values()].reduce((a, b) => a + b, 0);
    this.docs.set(table.name, { terms, length });
    this.totalLength += length;
    for (const term of terms.keys()) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
  }

  delete(name: string): void {
    const doc = this.docs.get(name);
    if (!doc) return;
    this.docs.delete(name);
    this.totalLength -= doc.length;
    for (const term of doc.terms.keys()) {
      const n = (this.documentFrequency.get(term) ?? 1) - 1;
      if (n === 0) this.documentFrequency.delete(term);
      else this.documentFrequency.set(term, n);
    }
  }

  clear(): void {
    this.docs.clear();
    this.documentFrequency.clear();
    this.totalLength = 0;
  }

  /**
   * Each of `names`' BM25 score for the question divided by the best among them (1 for the best,
   * 0 for a table sharing no word with the question; all 0 when none shares any).
   */
  normalizedScores(question: string, names: Iterable<string>): Map<string, number> {
    const query = [...new Set(normalizedWords(question).filter((w) => !STOP_WORDS.has(w)))];
    const n = this.docs.size;
    const averageLength = n > 0 ? this.totalLength / n : 1;
    const scores = new Map<string, number>();
    let best = 0;
    for (const name of names) {
      const doc = this.docs.get(name);
      let score = 0;
      if (doc) {
        for (const term of query) {
          const tf = doc.terms.get(term);
          if (!tf) continue;
          const df = this.documentFrequency.get(term) ?? 0;
          const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
          score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * doc.length) / averageLength));
        }
      }
      scores.set(name, score);
      best = Math.max(best, score);
    }
    if (best > 0) for (const [name, score] of scores) scores.set(name, score / best);
    return scores;
  }
}

/** inflection's rules are regular expressions tried in turn: each word is singularised once. */
const singulars = new LruMap<string, string>(20_000);

/** Words of a name or a question, lower-case and singular (`Treatment_Types` → treatment, type). */
export function normalizedWords(text: string): string[] {
  return splitIdentifier(text).map((w) => {
    let singular = singulars.get(w);
    if (singular === undefined) {
      singular = /^\d+$/.test(w) || w.length < 4 ? w : inflection.singularize(w);
      singulars.set(w, singular);
    }
    return singular;
  });
}
