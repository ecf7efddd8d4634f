import type { SpiderQuestion } from '../spider/spider-dataset.js';
import { sqlShape } from '../spider/sql-shape.js';
import { sqliteToPostgres } from '../spider/sqlite-to-postgres.js';

/** A dataset question with its gold SQL as the cache would hold it (PostgreSQL) and that SQL's shapes. */
export interface PreparedQuestion {
  /** Position in the dataset. */
  index: number;
  db: string;
  question: string;
  /** The gold SQL converted to PostgreSQL (see `sqliteToPostgres`). */
  sql: string;
  /** `sqlShape` of `sql`, constants by text; null when PostgreSQL's parser refuses it. */
  shape: string | null;
  /** `sqlShape` of `sql` with every constant alike; null when it does not parse. */
  template: string | null;
}

export async function prepareQuestions(questions: readonly SpiderQuestion[]): Promise<PreparedQuestion[]> {
  return Promise.all(
    questions.map(async (q, index) => {
      const sql = sqliteToPostgres(q.query);
      return { index, db: q.db_id, question: q.question, sql, shape: await sqlShape(sql), template: await sqlShape(sql, { constants: 'placeholder' }) };
    }),
  );
}
