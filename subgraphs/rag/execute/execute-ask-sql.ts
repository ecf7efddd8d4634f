import type pg from 'pg';

export interface AskSqlLimits {
  /** Schemas unqualified names resolve against (the guard resolved them the same way). */
  searchPath: readonly string[];
  statementTimeoutMs: number;
  /** Rows returned at most; one more is read to tell that there were more. */
  rowCap: number;
}

export interface AskSqlResult {
  columns: string[];
  rows: unknown[][];
  /** True when the statement had more rows than the cap. */
  truncated: boolean;
}

/**
 * Runs one SELECT written for `ask` in a READ ONLY transaction with a statement timeout and a row
 * cap, on a client logged in as the asking tenant's role. The extended protocol refuses more than
 * one statement, whatever the text holds. Errors are PostgreSQL's own (with their `code`); the
 * caller decides what the LLM and the user are told.
 *
 * The transaction is always rolled back, never committed (a read changes nothing worth keeping):
 * a rollback also undoes what the statement did to its session — `set_config(…, false)` of `role`,
 * `row_security` or any other setting — so that nothing it set reaches the next ask on this
 * pooled connection. Session advisory locks survive a rollback and are released explicitly: a
 * statement could otherwise hold one of DistRAG's own lock keys (ask roles, migrations) for as long
 * as the connection stays in the pool. When that clean-up fails, it throws: release the client
 * with the error, so that the pool destroys it.
 */
export async function executeAskSql(client: pg.ClientBase, sql: string, params: readonly unknown[], limits: AskSqlLimits): Promise<AskSqlResult> {
  await client.query('BEGIN READ ONLY');
  let result: pg.QueryResult;
  try {
    // SET takes no parameters: the values are written as literals (a number, quoted identifiers).
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.statementTimeoutMs))}`);
    await client.query(`SET LOCAL search_path = ${limits.searchPath.map((s) => client.escapeIdentifier(s)).join(', ') || "''"}`);
    // The newlines end any trailing `--` comment of the statement before the cap is added.
    const capped = `SELECT * FROM (\n${sql}\n) AS distrag_answer LIMIT ${Math.floor(limits.rowCap) + 1}`;
    result = await client.query({ text: capped, values: [...params], rowMode: 'array', queryMode: 'extended' } as pg.QueryConfig & { queryMode: 'extended' });
  } catch (error) {
    await endAsk(client).catch(() => undefined);
    throw error;
  }
  await endAsk(client);
  const rows = (result.rows as unknown[][]).map((row) => row.map(toJsonValue));
  return { columns: result.fields.map((f) => f.name), rows: rows.slice(0, limits.rowCap), truncated: rows.length > limits.rowCap };
}

/** Ends an ask's transaction leaving the session as it was before: rolled back, no advisory lock held. */
async function endAsk(client: pg.ClientBase): Promise<void> {
  await client.query('ROLLBACK');
  await client.query('SELECT pg_advisory_unlock_all()');
}

/** A value as JSON carries it: dates as ISO strings, bytes as base64, the rest as pg gives them. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}
