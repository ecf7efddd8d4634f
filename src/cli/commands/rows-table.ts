/** Longest cell shown; longer ones are cut with an ellipsis. */
const CELL_WIDTH = 40;

/** Rows as a plain-text table with a header rule, columns padded to their widest cell. */
export function renderRowsTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const text = (value: unknown) => {
    const s = value === null || value === undefined ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    const flat = s.replace(/\s+/g, ' ');
    return flat.length > CELL_WIDTH ? `${flat.slice(0, CELL_WIDTH - 1)}…` : flat;
  };
  const cells = rows.map((row) => columns.map((_, i) => text(row[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line([...columns]), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}
