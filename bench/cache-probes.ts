import { benchQuestions, DEPARTMENTS, enrolledInYear, type BenchQuestion } from './cache-questions.js';

/** The kinds of lookup timed, in the order of the table's rows. */
export const LOOKUP_KINDS = ['a stored question asked again', 'a stored question, another year', 'a question not stored'] as const;

/** Seed of the questions asked but never stored. */
const NEW_QUESTIONS_SEED = 7;
const FIRST_YEAR = 1960;

export interface CacheProbes {
  /** Stored through `SemanticCache.store` (real embeddings) before the filler entries. */
  stored: BenchQuestion[];
  /** The questions asked, one list per entry of LOOKUP_KINDS. */
  lookups: string[][];
  /** Every question above: the filler entries must not be any of them. */
  reserved: Set<string>;
}

/**
 * `count` stored questions ("How many students enrolled in the Physics department in 1961?"),
 * the same asked with the next year (the guard may re-bind the year), and `count` questions of
 * the same schema that are not stored.
 */
export function cacheProbes(count: number): CacheProbes {
  const stored = Array.from({ length: count }, (_, i) => enrolledInYear(DEPARTMENTS[i % DEPARTMENTS.length]!, FIRST_YEAR + i));
  const nextYear = Array.from({ length: count }, (_, i) => enrolledInYear(DEPARTMENTS[i % DEPARTMENTS.length]!, FIRST_YEAR + i + 1).question);
  const reserved = new Set([...stored.map((q) => q.question), ...nextYear]);
  const generated = benchQuestions(NEW_QUESTIONS_SEED, reserved);
  const notStored = Array.from({ length: count }, () => generated.next().value.question);
  for (const q of notStored) reserved.add(q);
  return { stored, lookups: [stored.map((q) => q.question), nextYear, notStored], reserved };
}
