import { parse } from 'libpg-query';

/**
 * Splits SQL text into its statements with PostgreSQL's own parser (dollar-quoted bodies,
 * comments and strings included), so each can be sent on its own: a Citus coordinator forwards
 * a utility statement's whole query string to the workers, and they refuse (or warn about) the
 * other statements in it. Throws with the parser's message when the text is not valid SQL.
 */
export async function splitStatements(text: string): Promise<string[]> {
  const bytes = Buffer.from(text, 'utf8');
  const { stmts } = await parse(text);
  // Locations and lengths are byte offsets; the last statement's length is absent (to the end).
  return (stmts ?? [])
    .map((s) => {
      const start = s.stmt_location ?? 0;
      const end = s.stmt_len === undefined || s.stmt_len === 0 ? bytes.length : start + s.stmt_len;
      return bytes.subarray(start, end).toString('utf8').trim();
    })
    .filter((statement) => statement.length > 0);
}
