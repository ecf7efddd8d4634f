import { useMemo } from 'react';
import type { AlignedData, Options } from 'uplot';
import { Chart, SERIES_COLOURS } from '../../components/chart';

/** One poll of cacheStats: when, and the cumulative counters then. */
export interface HitSample {
  at: number;
  hits: number;
  misses: number;
}

const OPTIONS: Omit<Options, 'width' | 'height'> = {
  scales: { x: { time: true }, y: { range: [0, 100] } },
  axes: [{ incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600] }, { label: 'hit rate %', values: (_u, splits) => splits.map((v) => `${v}%`) }],
  series: [
    {},
    { label: 'cumulative', stroke: SERIES_COLOURS[0], width: 2, value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)}%`) },
    { label: 'each interval', stroke: SERIES_COLOURS[1], width: 1.5, dash: [5, 4], spanGaps: false, value: (_u, v) => (v === null ? 'no lookups' : `${v.toFixed(1)}%`) },
  ],
  legend: { live: true },
  cursor: { drag: { x: false, y: false } },
};

/**
 * The hit rate over the polls made while the panel is open: the cumulative rate (hits / lookups
 * since the counters began) and the rate within each interval (from the deltas of hits and misses;
 * a gap where the interval saw no lookup, or where the counters went back, as after a restart).
 */
export function HitRateChart({ samples }: { samples: HitSample[] }) {
  const data = useMemo<AlignedData>(() => {
    const xs = samples.map((s) => s.at / 1000);
    const cumulative = samples.map((s) => (s.hits + s.misses === 0 ? null : (100 * s.hits) / (s.hits + s.misses)));
    const interval = samples.map((s, i) => {
      const previous = samples[i - 1];
      if (!previous) return null;
      const hits = s.hits - previous.hits;
      const misses = s.misses - previous.misses;
      return hits < 0 || misses < 0 || hits + misses === 0 ? null : (100 * hits) / (hits + misses);
    });
    return [xs, cumulative, interval];
  }, [samples]);
  if (samples.length < 2) return <p className="muted cache-chart-wait">Collecting samples (every 3 s)…</p>;
  return <Chart options={OPTIONS} data={data} height={200} testId="hit-rate-chart" />;
}
