/**
 * The SQL guard's rules: a stable id for each way a statement can be refused, and the one
 * sentence said about it to the user and, on a retry, to the LLM. `{subject}` is replaced by what
 * the rule caught (a function, a table, a statement kind). The walker (inspect-statement.ts)
 * applies them; the allow-lists beside this file say what passes.
 */
export const GUARD_RULES = {
  empty: 'The SQL is empty; write one SELECT statement.',
  'too-long': 'The SQL is longer than {subject} characters; write a shorter query.',
  syntax: 'The SQL does not parse ({subject}); write one valid PostgreSQL SELECT statement.',
  'too-complex': 'The SQL is nested too deeply to check; write a flatter query.',
  'multiple-statements': 'The SQL holds {subject} statements; write exactly one SELECT and nothing after it.',
  'not-a-select': 'Only a SELECT statement may run, not {subject}.',
  'select-into': 'SELECT … INTO creates a table; select the rows without INTO.',
  'locking-clause': 'The locking clause {subject} is not allowed in a read-only query; remove it.',
  'data-modifying-cte': 'A WITH query must be a SELECT, not {subject}.',
  'function-not-allowed': 'The function {subject} is not allowed; use ordinary aggregate, window, math, string, date/time, conditional, JSON and array functions only.',
  'table-function-not-allowed': 'The function {subject} may not be used in FROM; only unnest, generate_series, generate_subscripts and the JSON and regexp set-returning functions may.',
  'operator-not-allowed': 'The operator {subject} is not allowed; use the built-in operators without a schema.',
  'catalog-type-cast': 'A cast to {subject} looks into the system catalogs and is not allowed.',
  'type-not-allowed': 'The type {subject} is not allowed; use numeric, text, boolean, date/time, json/jsonb and uuid types or arrays of them.',
  'system-catalog': 'The system catalog {subject} may not be read; use only the tables of the schema you were given.',
  'unknown-table': 'The table {subject} is not one you may read; use only the tables of the schema you were given.',
  parameter: 'The SQL has a parameter ({subject}); write the values into the query itself.',
  'unsupported-syntax': '{subject} is not supported here; write a plain SELECT.',
} as const;

/** A rule's stable id. */
export type GuardRuleId = keyof typeof GUARD_RULES;

/** The sentence of a rule, about `subject`. */
export function describeRule(rule: GuardRuleId, subject = ''): string {
  return GUARD_RULES[rule].replace('{subject}', subject);
}
