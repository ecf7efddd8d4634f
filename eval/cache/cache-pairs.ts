import type { PreparedQuestion } from './prepare-questions.js';

/** Two questions of one database, by index into the prepared questions; `a < b`. */
export type QuestionPair = readonly [a: number, b: number];

/** The question pairs the cache eval scores, each unordered (both directions are asked). */
export interface CachePairs {
  /** Same gold SQL: one question's cached answer is right for the other. */
  paraphrase: QuestionPair[];
  /** Different gold SQL: a plain hit answers wrongly. */
  differentSql: QuestionPair[];
  /**
   * The different-SQL pairs whose gold SQL differ only in constants, and not only in their case
   * (a subset of `differentSql`).
   */
  naturalLiteral: QuestionPair[];
}

/**
 * Every pair of questions of the same database, sorted by whether their gold SQL is the same:
 * equal parse trees (constants by value), or, for SQL PostgreSQL's parser refuses, equal text up
 * to whitespace and the case of everything but string constants.
 */
export function buildCachePairs(questions: readonly PreparedQuestion[]): CachePairs {
  const pairs: CachePairs = { paraphrase: [], differentSql: [], naturalLiteral: [] };
  const byDb = new Map<string, PreparedQuestion[]>();
  for (const q of questions) byDb.set(q.db, [...(byDb.get(q.db) ?? []), q]);
  for (const group of byDb.values()) {
    const keys = group.map(sameSqlKey);
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i]!;
        const b = group[j]!;
        const pair: QuestionPair = [a.index, b.index];
        if (keys[i] === keys[j]) {
          pairs.paraphrase.push(pair);
          continue;
        }
        pairs.differentSql.push(pair);
        if (differInValues(a, b)) pairs.naturalLiteral.push(pair);
      }
    }
  }
  return pairs;
}

/**
 * Same template, constants that differ beyond case. Spider has gold SQL of one question with
 * `'Timmothy'` and of its paraphrase with `'timmothy'`: both questions name the same person, so
 * that is no literal swap. (Lower-casing the whole shape is enough: identifiers are already lower
 * case, and both shapes are folded alike.)
 */
function differInValues(a: PreparedQuestion, b: PreparedQuestion): boolean {
  return a.template !== null && a.template === b.template && a.shape!.toLowerCase() !== b.shape!.toLowerCase();
}

function sameSqlKey(q: PreparedQuestion): string {
  return q.shape !== null ? `tree:${q.shape}` : `text:${normalizeSqlText(q.sql)}`;
}

/** Whitespace collapsed and everything outside single-quoted strings in lower case. */
function normalizeSqlText(sql: string): string {
  return sql
    .split(/('(?:[^']|'')*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\s+/g, ' ').toLowerCase()))
    .join('')
    .trim();
}
