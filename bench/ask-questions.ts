import { benchQuestions, type BenchQuestion } from './cache-questions.js';

/** `JOIN t x ON x.col = y.col` as bench/cache-questions.ts writes its joins. */
const JOIN = /JOIN (\w+) (\w+) ON (\w+)\.(\w+) = (\w+)\.(\w+)/g;

/**
 * The questions of `benchQuestions`, with SQL that runs in both modes: the cache benchmark only
 * stores that SQL, the ask benchmark runs it. Its joins between tenant tables match on the
 * department, course or student id alone, which Citus refuses (the tables are distributed by
 * university_id, and a join on another column would need repartitioning); each such join also
 * matches university_id here, as the composite foreign keys do, so it stays on one worker.
 */
export function* askQuestions(seed: number): Generator<BenchQuestion, never> {
  const source = benchQuestions(seed);
  for (;;) {
    const question = source.next().value;
    yield { ...question, sql: colocateJoins(question.sql) };
  }
}

/** Adds `AND x.university_id = y.university_id` to every join on another column (universities is a reference table: left as is). */
export function colocateJoins(sql: string): string {
  return sql.replace(JOIN, (join: string, table: string, _alias: string, left: string, column: string, right: string) =>
    table === 'universities' || column === 'university_id' ? join : `${join} AND ${left}.university_id = ${right}.university_id`,
  );
}
