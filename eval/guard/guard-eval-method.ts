/** How the guard eval measures (printed under its tables, kept in its JSON). */
export const GUARD_EVAL_METHOD = [
  "False rejections: every Spider gold query (SQLite's double-quoted strings as PostgreSQL strings, LIKE as ILIKE) is judged with its database's tables readable and its schema as search path; any refusal is a false rejection (goal 0).",
  'Hostile statements: each is judged with the corpus\'s scope (its readable tables and search path); what the guard passes is run on a fresh connection as a role that may read those tables and write a canary table and sequence, in a transaction rolled back afterwards, by the simple protocol (a statement list runs whole).',
  "Executed: PostgreSQL ran a passed statement without error (goal 0); canary changed: the canary's rows, its sequence or the readable tables' row counts differed afterwards.",
];
