import { useCallback, useEffect, useState } from 'react';
import { useQuery } from '../api/use-query';
import { ErrorNote } from '../components/error-note';
import { TenantPicker, tenantArgument } from '../components/tenant-picker';
import { useConsole } from '../console-context';
import { isAdmin } from '../session/session';
import { shortTime } from '../format';
import { ENTRIES_QUERY, STATS_QUERY, type EntryView, type StatsView } from './cache/cache-api';
import { CacheEntriesTable } from './cache/cache-entries-table';
import { CacheStatCards } from './cache/cache-stat-cards';
import { FlushControl } from './cache/flush-control';
import { HitRateChart, type HitSample } from './cache/hit-rate-chart';
import { PolicyCard } from './cache/policy-card';

const POLL_MS = 3000;
/** Samples kept for the chart: half an hour at one per poll. */
const KEEP_SAMPLES = 600;

/** The tenant typed settles before the panel asks (and its chart starts again). */
function useSettled(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The semantic cache of a tenant (admins: any, or every tenant): its counters polled every 3 s and
 * the hit rate over the time the panel is open, its entries, Flush, and its policy.
 */
export function CachePanel() {
  const { session, client, feed } = useConsole();
  const admin = isAdmin(session);
  const [picked, setPicked] = useState('');
  const settled = useSettled(picked, 400);
  // Tenant tokens pass no tenant: the gateway applies theirs.
  const tenant = admin ? tenantArgument(settled) : null;
  const key = tenant ?? '';

  const loadStats = useCallback(() => client.request<{ cacheStats: StatsView }>(STATS_QUERY, { tenant }).then((d) => d.cacheStats), [client, tenant]);
  const loadEntries = useCallback(() => client.request<{ cacheEntries: EntryView[] }>(ENTRIES_QUERY, { tenant }).then((d) => d.cacheEntries), [client, tenant]);
  const stats = useQuery(loadStats, `stats:${key}`, POLL_MS);
  const entries = useQuery(loadEntries, `entries:${key}`, POLL_MS);
  const { reload: reloadStats } = stats;
  const { reload: reloadEntries } = entries;

  const [samples, setSamples] = useState<{ key: string; list: HitSample[] }>({ key, list: [] });
  useEffect(() => {
    const data = stats.data;
    if (!data || (admin && (data.tenant ?? '') !== key)) return;
    setSamples((current) => ({ key, list: [...(current.key === key ? current.list : []), { at: Date.now(), hits: data.hits, misses: data.misses }].slice(-KEEP_SAMPLES) }));
  }, [stats.data, key, admin]);

  // A cacheInvalidated event for this scope: show it at once rather than at the next poll.
  useEffect(
    () =>
      feed.onEvent((event) => {
        if (event.kind !== 'cache' || (tenant !== null && event.tenant !== null && event.tenant !== tenant)) return;
        reloadStats();
        reloadEntries();
      }),
    [feed, tenant, reloadStats, reloadEntries],
  );

  const refresh = useCallback(() => {
    reloadStats();
    reloadEntries();
  }, [reloadStats, reloadEntries]);

  const data = stats.data;
  const scopeLabel = tenant !== null ? `tenant ${tenant}` : admin ? 'every tenant' : `tenant ${session.tenant}`;
  const chartSamples = samples.key === key ? samples.list : [];

  return (
    <div className="cache-panel">
      <div className="row cache-head">
        <h2 className="grow">Semantic cache</h2>
        <TenantPicker value={picked} onChange={setPicked} />
        <span className="muted cache-updated" data-testid="cache-updated">
          {chartSamples.length > 0 ? `updated ${shortTime(new Date(chartSamples.at(-1)!.at).toISOString())}` : stats.loading ? 'loading…' : ''}
        </span>
      </div>
      <ErrorNote error={stats.error} />
      {data && !data.enabled && (
        <p className="notice cache-disabled" data-testid="cache-disabled">
          <b>The cache is disabled.</b> {data.disabledReason ?? 'No embedder could load.'}
        </p>
      )}
      {data && <CacheStatCards stats={data} />}

      <section className="card cache-chart-card">
        <h3 className="cache-card-title">
          Hit rate <span className="muted">— {scopeLabel}, since the panel opened</span>
        </h3>
        <HitRateChart samples={chartSamples} />
      </section>

      <section className="card">
        <div className="row cache-entries-head">
          <h3 className="cache-card-title grow">
            Entries{' '}
            <span className="muted">
              — {admin && tenant === null ? 'the admins’ cross-tenant scope (asks without a tenant)' : scopeLabel}, most recently used first (50 at most)
            </span>
          </h3>
          <FlushControl key={key} tenant={tenant} scopeLabel={scopeLabel} entries={data?.entries ?? null} onFlushed={refresh} />
        </div>
        <ErrorNote error={entries.error} />
        {entries.data ? <CacheEntriesTable entries={entries.data} /> : !entries.error && <p className="muted">Loading…</p>}
      </section>

      <PolicyCard tenant={tenant} policy={data?.policy ?? null} onSaved={refresh} />
    </div>
  );
}
