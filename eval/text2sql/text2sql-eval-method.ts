/** How the text2sql eval measures (printed under its table, kept in its JSON). */
export const TEXT2SQL_EVAL_METHOD = [
  'Each Spider database is loaded into a PostgreSQL schema of its own (eval/spider/load-spider-into-postgres.ts); the predictor gets the question, the db_id and that schema.',
  'The predicted SQL runs in a READ ONLY transaction with search_path set to the schema and a statement timeout, as a role that may only SELECT from the loaded schemas.',
  "It is correct when its rows equal the gold query's rows on the dataset's SQLite file: as multisets, in order only when the gold query has a top-level ORDER BY; numbers compared with a relative tolerance of 1e-6, numeric text as numbers.",
  'error: PostgreSQL refused the SQL or it timed out; no SQL: the predictor gave none (or failed); wrong: it ran and returned other rows.',
];
