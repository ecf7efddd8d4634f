/**
 * Spider's gold SQL in PostgreSQL's dialect, as far as the cache needs it to parse: SQLite takes a
 * double-quoted token that names no column as a string, and Spider writes string constants that
 * way (`name = "Robbin CV"`), so each becomes a single-quoted string. Single-quoted strings and
 * everything else are kept as they are. What still does not parse is left for the caller to count.
 */
export function sqliteToPostgres(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const quote = sql[i];
    if (quote !== "'" && quote !== '"') {
      out += quote;
      i += 1;
      continue;
    }
    const { text, end } = quoted(sql, i);
    out += quote === "'" ? sql.slice(i, end) : `'${text.replaceAll("'", "''")}'`;
    i = end;
  }
  return out;
}

/** The text of the quoted token starting at `start` (a doubled quote is one quote) and where it ends. */
function quoted(sql: string, start: number): { text: string; end: number } {
  const quote = sql[start]!;
  let text = '';
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return { text, end: i + 1 };
      i += 1;
    }
    text += sql[i];
    i += 1;
  }
  // Unterminated: the rest is the string; the parser will refuse the statement.
  return { text, end: sql.length };
}
