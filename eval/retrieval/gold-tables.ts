import { analyzeSql } from '../../src/cache/sql-analysis.js';
import { sqliteToPostgres } from '../spider/sqlite-to-postgres.js';

/**
 * The tables a gold query reads, as `<db>.<table>` lower-cased: from PostgreSQL's parse tree of
 * the query once in PostgreSQL's dialect (call prepareSqlParser first), else — when it does not
 * parse — from the names after FROM and JOIN. Null when neither finds one.
 */
export function goldTables(db: string, query: string): { tables: string[]; parsed: boolean } | null {
  const prefix = db.toLowerCase();
  try {
    const tables = analyzeSql(sqliteToPostgres(query)).tables.map((t) => `${prefix}.${(t.split('.').at(-1) ?? t).toLowerCase()}`);
    if (tables.length > 0) return { tables: [...new Set(tables)].sort(), parsed: true };
  } catch {
    // fall through to the token scan
  }
  const names = [...query.matchAll(/\b(?:from|join)\s+("?)([A-Za-z_][A-Za-z0-9_]*)\1/gi)].map((m) => `${prefix}.${m[2]!.toLowerCase()}`);
  return names.length > 0 ? { tables: [...new Set(names)].sort(), parsed: false } : null;
}
