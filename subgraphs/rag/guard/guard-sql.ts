/**
 * # The SQL guard
 *
 * The RAG pipeline runs SQL an LLM wrote. The LLM follows whatever text reaches it — a question,
 * a table comment, a stored value — so its SQL is treated as hostile input: before it runs, it is
 * parsed with PostgreSQL's own parser (libpg_query, the server's grammar compiled to
 * WebAssembly) and must be exactly one SELECT that reads only tables the caller may read.
 *
 * Why allow-lists (of node types, functions, types and tables) rather than a list of dangers:
 * PostgreSQL has thousands of functions and keeps adding them, extensions add more, and a
 * deny-list misses the one nobody thought of (`query_to_xml` runs arbitrary SQL, a `regclass`
 * cast reads the catalogs, `set_config` changes the tenant the session acts for). An allow-list
 * fails closed: whatever is new or unknown is refused, and the LLM is told why and may retry.
 *
 * Why a second layer anyway: the executor runs what passes in a READ ONLY transaction, as a
 * per-tenant role that holds SELECT and nothing more, under row-level security, with a statement
 * timeout and a row cap. The guard cannot see what the database resolves at run time (a
 * function a privileged user created in a schema on the search path, a temporary table, a view's
 * body, how big a generate_series gets); the database cannot tell the user, in one sentence, what
 * was wrong with the query. Either layer alone must already hold: the guard refuses as if nothing
 * stood behind it, and the database refuses as if nothing stood in front of it.
 *
 * The rules (ids and sentences) are in guard-rules.ts, what passes in allowed-*.ts, the walk in
 * inspect-statement.ts, table resolution in resolve-table.ts.
 */
import { loadModule, parseSync } from 'libpg-query';
import { GuardRefusal } from './guard-refusal.js';
import { describeRule, type GuardRuleId } from './guard-rules.js';
import { inspectStatement } from './inspect-statement.js';

/** What the caller may read, and how unqualified names resolve for it. */
export interface GuardScope {
  /** Qualified `schema.table` names (as PostgreSQL stores them, usually lower case) the caller may read. */
  readableTables: ReadonlySet<string>;
  /** Schemas an unqualified table name resolves against, in order (the executor sets the same search_path). */
  searchPath: readonly string[];
}

export type GuardVerdict =
  | { safe: true; /** qualified tables read, sorted, unique */ tables: string[] }
  | { safe: false; /** stable rule id, e.g. 'multiple-statements' */ rule: string; /** one sentence for the user and for the LLM's retry prompt */ reason: string };

/** Longer SQL is refused unread: no analytical question needs it, and it bounds the parse and the walk. */
export const MAX_SQL_LENGTH = 20_000;

let parserReady: Promise<void> | null = null;

/**
 * Whether `sql` may run for a caller with `scope`: safe with the tables it reads, or unsafe with
 * the rule that refused it and a sentence saying why.
 */
export async function guardSql(sql: string, scope: GuardScope): Promise<GuardVerdict> {
  parserReady ??= loadModule();
  await parserReady;
  try {
    return { safe: true, tables: inspectStatement(parseOne(sql), scope) };
  } catch (error) {
    if (error instanceof GuardRefusal) return refused(error.rule, error.subject);
    // The parser and the walk recurse with the tree; a deep enough one exhausts the stack.
    if (error instanceof RangeError) return refused('too-complex');
    throw error;
  }
}

/** The one statement of `sql`, parsed. */
function parseOne(sql: string): Record<string, unknown> {
  if (sql.length > MAX_SQL_LENGTH) throw new GuardRefusal('too-long', MAX_SQL_LENGTH.toLocaleString('en'));
  // The parser reads a C string and would stop at a NUL, checking less than what would be sent.
  if (sql.includes('\0')) throw new GuardRefusal('syntax', 'it contains a NUL character');
  if (sql.trim() === '') throw new GuardRefusal('empty');
  let statements: Array<{ stmt?: Record<string, unknown> }>;
  try {
    statements = (parseSync(sql) as { stmts?: typeof statements }).stmts ?? [];
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new GuardRefusal('syntax', error instanceof Error ? error.message : String(error));
  }
  if (statements.length === 0) throw new GuardRefusal('empty');
  if (statements.length > 1) throw new GuardRefusal('multiple-statements', String(statements.length));
  return statements[0]!.stmt ?? {};
}

function refused(rule: GuardRuleId, subject?: string): GuardVerdict {
  return { safe: false, rule, reason: describeRule(rule, subject) };
}
