import { sqliteToPostgres } from './sqlite-to-postgres.js';

/**
 * Spider's gold SQL for PostgreSQL: `sqliteToPostgres` (double-quoted strings), and LIKE as ILIKE,
 * since SQLite's LIKE ignores the case of ASCII letters and PostgreSQL's does not. Nothing else is
 * rewritten: what SQLite accepts and PostgreSQL refuses (a JOIN without ON, a grouped query that
 * selects ungrouped columns) is counted by the gold check, not papered over.
 */
export function spiderGoldToPostgres(query: string): string {
  return rewriteOutsideStrings(sqliteToPostgres(query), (code) => code.replace(/\b(not\s+)?like\b/gi, (_, not: string | undefined) => `${not ?? ''}ILIKE`));
}

/** Applies `rewrite` to the parts of a statement outside single-quoted strings. */
function rewriteOutsideStrings(sql: string, rewrite: (code: string) => string): string {
  return sql
    .split(/('(?:[^']|'')*')/)
    .map((part, i) => (i % 2 === 1 ? part : rewrite(part)))
    .join('');
}
