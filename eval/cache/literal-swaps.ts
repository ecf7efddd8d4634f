import type { ColumnValues } from '../spider/sqlite-column-values.js';
import type { SpiderTable } from '../spider/spider-dataset.js';
import { sqlConstants, type SqlConstant, type TableReference } from '../spider/sql-constants.js';
import { sqlShape } from '../spider/sql-shape.js';
import type { PreparedQuestion } from './prepare-questions.js';
import { valueOccurrences } from './value-occurrences.js';

/** A dataset question (cached) and a made-up one that names another value of the same column. */
export interface LiteralSwap {
  /** Index of the cached question. */
  index: number;
  db: string;
  cached: { question: string; sql: string };
  incoming: string;
  /** The cached SQL with the new value: what the incoming question asks. */
  expectedSql: string;
  /** `table.column` the value belongs to. */
  column: string;
  from: string;
  to: string;
}

/**
 * One literal swap per constant of a gold query (not LIMIT/OFFSET) that is compared with a column,
 * occurs once in the query and once, word for word, in the question: the value is replaced in both
 * by the next value of that column in sort order, from the database's rows (`valuesOf`), or where
 * those are missing, from the constants the dataset's gold queries compare that column with.
 * Queries PostgreSQL's parser refuses are skipped.
 */
export async function buildLiteralSwaps(
  questions: readonly PreparedQuestion[],
  schemas: ReadonlyMap<string, readonly SpiderTable[]>,
  valuesOf: ColumnValues,
): Promise<LiteralSwap[]> {
  const analysed = await Promise.all(questions.map(async (q) => ({ q, parsed: q.shape === null ? null : await sqlConstants(q.sql) })));
  const columnOf = (q: PreparedQuestion, tables: TableReference[], c: SqlConstant) => (c.column ? resolveColumn(schemas.get(q.db) ?? [], tables, c.column) : null);
  const keyOf = (db: string, column: { table: string; column: string }) => `${db}\u0000${column.table}\u0000${column.column}`;
  const seen = new Map<string, Set<string>>();
  for (const { q, parsed } of analysed) {
    for (const c of parsed?.constants ?? []) {
      const column = columnOf(q, parsed!.tables, c);
      if (column && !c.limit) seen.set(keyOf(q.db, column), (seen.get(keyOf(q.db, column)) ?? new Set<string>()).add(c.text));
    }
  }
  const swaps: LiteralSwap[] = [];
  for (const { q, parsed } of analysed) {
    if (parsed === null) continue;
    for (const c of parsed.constants) {
      const column = columnOf(q, parsed.tables, c);
      if (c.limit || column === null || parsed.constants.filter((o) => o.text === c.text).length !== 1) continue;
      const at = valueOccurrences(q.question, c.text);
      if (at.length !== 1) continue;
      const values = valuesOf(q.db, column.table, column.column) ?? [...(seen.get(keyOf(q.db, column)) ?? [])];
      const to = replacementValue(c, values, q.question);
      if (to === null) continue;
      const incoming = q.question.slice(0, at[0]) + to + q.question.slice(at[0]! + c.text.length);
      const expectedSql = replaceConstant(q.sql, c, to);
      if ((await sqlShape(expectedSql)) === null) continue;
      swaps.push({ index: q.index, db: q.db, cached: { question: q.question, sql: q.sql }, incoming, expectedSql, column: `${column.table}.${column.column}`, from: c.text, to });
    }
  }
  return swaps;
}

/** The schema's spelling of the table and column a query's column reference names, or null. */
function resolveColumn(schema: readonly SpiderTable[], tables: TableReference[], ref: NonNullable<SqlConstant['column']>): { table: string; column: string } | null {
  const named = ref.qualifier === null ? tables : tables.filter((t) => t.alias === ref.qualifier || (t.alias === null && t.name === ref.qualifier));
  for (const reference of named) {
    const table = schema.find((t) => t.name.toLowerCase() === reference.name);
    const column = table?.columns.find((c) => c.toLowerCase() === ref.name);
    if (table && column) return { table: table.name, column };
  }
  return null;
}

/**
 * The value after `c` in sort order among the column's values of the same kind (integers for an
 * integer, strings for a string), skipping any the question already names; null when there is none.
 */
function replacementValue(c: SqlConstant, values: ReadonlyArray<string | number>, question: string): string | null {
  const integer = /^-?\d+$/.test(c.text);
  const texts = values
    .filter((v) => (c.kind === 'string' ? typeof v === 'string' : Number.isFinite(Number(v)) && Number.isInteger(Number(v)) === integer))
    .map((v) => String(v))
    .filter((v) => v !== '' && v.trim() === v && !/[\r\n]/.test(v) && v !== c.text && valueOccurrences(question, v).length === 0);
  const sorted = [...new Set(texts)].sort((a, b) => (c.kind === 'number' ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return null;
  const before = (v: string) => (c.kind === 'number' ? Number(v) <= Number(c.text) : v <= c.text);
  return sorted.find((v) => !before(v)) ?? sorted[0]!;
}

/** `sql` with the constant `c` (a token at its byte offset) replaced by `value`, quoted as `c` was. */
function replaceConstant(sql: string, c: SqlConstant, value: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  const head = bytes.subarray(0, c.location).toString('utf8');
  const rest = bytes.subarray(c.location).toString('utf8');
  const token = c.kind === 'string' ? /^'(?:[^']|'')*'/.exec(rest) : /^-?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  if (!token) throw new Error(`no constant at byte ${c.location} of ${sql}`);
  const replacement = c.kind === 'string' ? `'${value.replaceAll("'", "''")}'` : value;
  return head + replacement + rest.slice(token[0].length);
}
