import type { StatsView } from './cache-api';

function Stat({ name, label, value, title }: { name: string; label: string; value: string; title?: string }) {
  return (
    <div className="stat" title={title}>
      <div className="value" data-testid={`cache-stat-${name}`}>
        {value}
      </div>
      <div className="label">{label}</div>
    </div>
  );
}

const count = (n: number) => n.toLocaleString('en-US');
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));

/** The counters of cacheStats as cards. */
export function CacheStatCards({ stats }: { stats: StatsView }) {
  return (
    <div className="stats cache-stats" data-testid="cache-stats">
      <Stat name="entries" label="entries" value={count(stats.entries)} />
      <Stat name="hits" label="hits" value={count(stats.hits)} title="Lookups answered from the cache (rebinds included)" />
      <Stat name="misses" label="misses" value={count(stats.misses)} />
      <Stat name="rebinds" label="rebinds" value={count(stats.rebinds)} title="Hits answered by re-binding the question's literals into the cached SQL" />
      <Stat name="hit-rate" label="hit rate" value={`${(stats.hitRate * 100).toFixed(1)}%`} />
      <Stat name="evictions" label="evictions" value={count(stats.evictions)} title="Entries removed to stay within maxEntries" />
      <Stat name="expired" label="expired" value={count(stats.expired)} title="Entries removed when their TTL ran out" />
      <Stat name="p50" label="lookup p50 ms" value={ms(stats.lookupP50Ms)} title="Lookup time without embedding, over recent lookups" />
      <Stat name="p99" label="lookup p99 ms" value={ms(stats.lookupP99Ms)} title="Lookup time without embedding, over recent lookups" />
      <div className="stat cache-embedder" title={stats.embedder ?? undefined}>
        <div className="value" data-testid="cache-stat-embedder">
          {stats.embedder ?? '—'}
        </div>
        <div className="label">embedder</div>
      </div>
    </div>
  );
}
