import { useMemo, useState, useSyncExternalStore } from 'react';
import type { LiveKind } from '../api/live-feed';
import { useConsole } from '../console-context';
import { shortTime } from '../format';
import { isAdmin } from '../session/session';

const KIND_LABELS: Record<LiveKind, string> = { data: 'data', schema: 'schema', cache: 'cache', cluster: 'cluster' };

/**
 * Live: the schema, data, cache-invalidation and cluster events as the gateway delivers them
 * (collected since sign-in, whatever panel was open), newest first, filterable by kind and table.
 */
export function LivePanel() {
  const { feed, session } = useConsole();
  const events = useSyncExternalStore(feed.subscribe, feed.snapshot);
  const { kinds } = feed;
  const [shown, setShown] = useState<Set<LiveKind>>(() => new Set(feed.kinds));
  const [table, setTable] = useState('');
  const [openedAt] = useState(() => Date.now());

  const visible = useMemo(() => {
    const needle = table.trim().toLowerCase();
    return events.filter((e) => shown.has(e.kind) && (needle === '' || (e.table ?? '').toLowerCase().includes(needle)));
  }, [events, shown, table]);

  const toggle = (kind: LiveKind) =>
    setShown((current) => {
      const next = new Set(current);
      if (next.has(kind)) next.delete(kind);
      else next.add(kind);
      return next;
    });

  return (
    <>
      <h2>Live</h2>
      <div className="card row filters">
        {kinds.map((kind) => (
          <label key={kind}>
            <input type="checkbox" data-testid={`filter-${kind}`} checked={shown.has(kind)} onChange={() => toggle(kind)} /> {KIND_LABELS[kind]}
          </label>
        ))}
        <input data-testid="filter-table" placeholder="table contains…" value={table} onChange={(e) => setTable(e.target.value)} />
        <span className="grow" />
        <span className="muted" data-testid="event-count">
          {visible.length} of {events.length} events
        </span>
        <button type="button" className="secondary" onClick={() => feed.clear()}>
          Clear
        </button>
      </div>
      {!isAdmin(session) && <p className="muted">Events of tenant {session.tenant} and those that concern every tenant; cluster events are for admins.</p>}
      {visible.length === 0 ? (
        <p className="muted" data-testid="no-events">
          No events yet. Write to a table (through the API or plain SQL), change the schema, or flush the cache, and they appear here.
        </p>
      ) : (
        <div className="table-box" style={{ maxHeight: 'calc(100vh - 230px)' }}>
          <table className="event-list" data-testid="events">
            <thead>
              <tr>
                <th>at</th>
                <th>kind</th>
                <th>what</th>
                <th>table</th>
                <th>tenant</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {visible.map((e) => (
                <tr key={e.key} className={e.receivedAt > openedAt ? 'fresh' : undefined} data-kind={e.kind} data-table={e.table ?? ''} data-tenant={e.tenant ?? ''}>
                  <td title={`event ${e.id}`}>{shortTime(e.at)}</td>
                  <td className="kind">{e.kind}</td>
                  <td>{e.resync ? <span className="badge warn">RESYNC</span> : e.what}</td>
                  <td>{e.table ?? ''}</td>
                  <td>{e.tenant ?? (e.kind === 'data' || e.kind === 'cache' ? 'all' : '')}</td>
                  <td>{e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
