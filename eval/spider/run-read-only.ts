import pg from 'pg';

/** What one statement did: its rows, or PostgreSQL's error message. */
export type ReadOnlyOutcome = { ok: true; rows: unknown[][] } | { ok: false; error: string; code: string | null };

/**
 * Runs one statement the way the evals run SQL they did not write: in a READ ONLY transaction that
 * is rolled back, with `search_path` set to one schema and a statement timeout, through the
 * extended protocol (which takes exactly one statement, so `…; COMMIT; …` cannot slip through).
 * Errors are returned, not thrown; the client is left outside any transaction either way.
 */
export async function runReadOnly(client: pg.ClientBase, schema: string, sql: string, timeoutMs: number): Promise<ReadOnlyOutcome> {
  await client.query('BEGIN READ ONLY');
  try {
    // Both are transaction-local: nothing outlives the ROLLBACK below.
    await client.query('SELECT set_config($1, $2, true), set_config($3, $4, true)', ['search_path', pg.escapeIdentifier(schema), 'statement_timeout', String(timeoutMs)]);
    const result = await client.query({ text: sql, rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig);
    return { ok: true, rows: result.rows as unknown[][] };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { ok: false, error: e.message, code: e.code ?? null };
  } finally {
    await client.query('ROLLBACK');
  }
}
