import type { EntryView } from './cache-api';
import { shortTime } from '../../format';

/** The most recently used entries of a scope. */
export function CacheEntriesTable({ entries }: { entries: EntryView[] }) {
  if (entries.length === 0) return <p className="muted" data-testid="cache-entries-empty">No entries.</p>;
  return (
    <div className="table-box">
      <table className="cache-entries" data-testid="cache-entries">
        <thead>
          <tr>
            <th>question</th>
            <th>tenant</th>
            <th>tables</th>
            <th className="num">hits</th>
            <th>created</th>
            <th>last hit</th>
            <th>expires</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-testid="cache-entry-row" data-entry-id={entry.id}>
              <td className="cache-question" title={entry.question} data-testid="cache-entry-question">
                {entry.question}
              </td>
              <td>{entry.tenant ?? <span className="muted">cross-tenant</span>}</td>
              <td className="cache-tables">{entry.tables.length === 0 ? <span className="muted">none</span> : entry.tables.join(', ')}</td>
              <td className="num">{entry.hits}</td>
              <td title={entry.createdAt}>{shortTime(entry.createdAt)}</td>
              <td title={entry.lastHitAt ?? undefined}>{entry.lastHitAt ? shortTime(entry.lastHitAt) : <span className="muted">never</span>}</td>
              <td title={entry.expiresAt ?? undefined}>{entry.expiresAt ? shortTime(entry.expiresAt) : <span className="muted">no expiry</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
