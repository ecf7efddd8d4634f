import { useCallback, useMemo, type MouseEvent } from 'react';
import { useQuery } from '../api/use-query';
import { ErrorNote } from '../components/error-note';
import { useConsole } from '../console-context';
import { BenchTableView } from './benchmarks/bench-table-view';
import { groupResults, type BenchGroup, type BenchListing, type BenchResult } from './benchmarks/bench-types';
import { PlotImage } from './benchmarks/plot-image';

/**
 * What `npx distrag bench` and `npx distrag eval` left in bench/results: one section per benchmark
 * (its tables charted and listed, SINGLE and CITUS side by side), then the evaluations' plots.
 */
export function BenchmarksPanel() {
  const { client } = useConsole();
  const load = useCallback(() => client.api<BenchListing>('benchmarks'), [client]);
  const listing = useQuery(load, 'benchmarks');
  const groups = useMemo(() => groupResults(listing.data?.results ?? []), [listing.data]);

  return (
    <div className="bench-panel">
      <div className="row bench-head">
        <h2 className="grow">Benchmarks</h2>
        <button type="button" className="secondary" onClick={listing.reload} disabled={listing.loading} data-testid="bench-reload">
          Reload
        </button>
      </div>
      <ErrorNote error={listing.error} />
      {listing.loading && !listing.data && <p className="muted">Loading…</p>}
      {listing.data && groups.length === 0 && (
        <p className="notice" data-testid="bench-empty">
          No benchmark results yet. Run <code>npx distrag bench all</code> (one benchmark: <code>npx distrag bench cache</code>) to measure, and{' '}
          <code>npx distrag eval cache|retrieval|guard|text2sql</code> for the evaluations' plots; they are written to <code>bench/results/</code> and show here.
        </p>
      )}
      {groups.length > 0 && (
        <div className="bench-index" data-testid="bench-index">
          {groups.map((g) => (
            <a key={g.benchmark} href={`#/benchmarks`} onClick={(e) => jumpTo(e, g.benchmark)}>
              {g.benchmark}
            </a>
          ))}
          {listing.data && listing.data.plots.length > 0 && (
            <a href="#/benchmarks" onClick={(e) => jumpTo(e, 'plots')}>
              evaluation plots
            </a>
          )}
        </div>
      )}
      {groups.map((group) => (
        <BenchSection key={group.benchmark} group={group} />
      ))}
      {listing.data && listing.data.plots.length > 0 && (
        <section id="bench-plots" className="bench-plots-section">
          <h3>Evaluation plots</h3>
          <div className="plots bench-plots">
            {listing.data.plots.map((plot) => (
              <PlotImage key={plot.name} name={plot.name} title={plot.title} />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}

/** Scrolls to a section without changing the address (the fragment is the panel's route). */
function jumpTo(event: MouseEvent, id: string) {
  event.preventDefault();
  document.getElementById(`bench-${id}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function BenchSection({ group }: { group: BenchGroup }) {
  return (
    <section className="card bench-section" id={`bench-${group.benchmark}`} data-testid="bench-section" data-benchmark={group.benchmark}>
      <h3 className="bench-title" data-testid="bench-title">
        {group.title}
      </h3>
      <ul className="bench-meta">
        {group.results.map((r) => (
          <li key={r.mode} data-testid="bench-meta">
            <span className={`badge bench-mode bench-mode-${r.mode.toLowerCase()}`}>{r.mode}</span> <RunMeta result={r} />
          </li>
        ))}
      </ul>
      {group.tables.map((table) => (
        <BenchTableView key={table.title ?? ''} table={table} />
      ))}
      {group.results.some((r) => r.notes.length > 0) && (
        <details className="bench-notes">
          <summary>Notes</summary>
          {group.results.map((r) =>
            r.notes.length === 0 ? null : (
              <div key={r.mode}>
                <b>{r.mode}</b>
                <ul>
                  {r.notes.map((note, i) => (
                    <li key={i}>{note}</li>
                  ))}
                </ul>
              </div>
            ),
          )}
        </details>
      )}
    </section>
  );
}

function RunMeta({ result: r }: { result: BenchResult }) {
  const date = new Date(r.date);
  const when = Number.isNaN(date.getTime()) ? r.date : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return (
    <span className="muted">
      commit <code title={r.commit}>{r.commit.slice(0, 10)}{r.dirty ? '+dirty' : ''}</code> · {when} · {r.settings.runs} run{r.settings.runs === 1 ? '' : 's'}
      {r.settings.runs < 3 ? ' (too few to quote)' : ''} · {r.machine.cpus} CPU{r.machine.cpus === 1 ? '' : 's'} ({r.machine.cpuModel}), {r.machine.memoryGiB.toFixed(1)} GiB, Node {r.machine.node}, {r.machine.platform}
    </span>
  );
}
