/** How the guard eval measures (printed under its tables, kept in its JSON). */
export const GUARD_EVAL_METHOD = [
  "False rejections: every Spider gold query (SQLite's double-quoted strings as PostgreSQL strings, LIKE as ILIKE) is judged with its database's tables readable and its schema as search path; any refusal is a false rejection (goal 0).",
  'Hostile statements: each is judged with one loaded database as scope; what the guard passes is run on a fresh connection as a role that may read that schema and write a canary table and sequence, in a transaction rolled back afterwards, by the simple protocol (a statement list runs whole).',
  "Executed: PostgreSQL ran a passed statement without error (goal 0); canary changed: the canary's rows, its sequence or the schema's row counts differed afterwards.",
];
