/** Result rows as a table; cells that are objects or arrays shown as JSON. */
export function RowsTable({ columns, rows, testId }: { columns: string[]; rows: unknown[][]; testId?: string }) {
  if (rows.length === 0) return <p className="muted">No rows.</p>;
  return (
    <div className="table-box">
      <table data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (
                <td key={c} className={cell === null ? 'null' : typeof cell === 'number' ? 'num' : undefined}>
                  {formatCell(cell)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function formatCell(cell: unknown): string {
  if (cell === null || cell === undefined) return 'null';
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}
