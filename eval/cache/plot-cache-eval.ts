import { CACHE_GOAL, FALSE_HIT_LIMITS, type CacheScores, type ThresholdRow } from './cache-evaluation.js';
import type { CacheEvalResult } from './cache-eval-result.js';

const WIDTH = 760;
const HEIGHT = 440;
const PLOT = { left: 64, right: 180, top: 36, bottom: 52 };
const SERIES = [
  { name: 'raw cosine', color: '#1f77b4', scores: (r: ThresholdRow) => r.raw },
  { name: 'cosine + guard', color: '#d62728', scores: (r: ThresholdRow) => r.guard },
] as const;

/**
 * Paraphrase recall against false-hit rate (log scale), one curve per way of deciding, a point
 * per threshold (every 0.05 labelled); the false-hit limits as dashed lines and the goal as a ring.
 * A false-hit rate of 0 cannot sit on a log axis: such points are drawn on its left edge, labelled 0.
 */
export function plotCacheEval(result: CacheEvalResult): string {
  const rates = result.rows.flatMap((r) => SERIES.map((s) => s.scores(r)?.falseHitRate ?? 0)).filter((v) => v > 0);
  const decades = { from: Math.min(-4, Math.floor(Math.log10(Math.min(...rates, 1e-4)))), to: 0 };
  const width = WIDTH - PLOT.left - PLOT.right;
  const height = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (rate: number) => PLOT.left + ((Math.log10(Math.max(rate, 10 ** decades.from)) - decades.from) / (decades.to - decades.from)) * width;
  const y = (recall: number) => PLOT.top + (1 - recall) * height;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${PLOT.left}" y="20" font-size="13">Semantic cache on ${escape(result.data.split('/').at(-1) ?? result.data)}: paraphrase recall vs false hits (commit ${result.commit.slice(0, 10)})</text>`,
  ];
  for (let d = decades.from; d <= decades.to; d++) {
    const px = x(10 ** d);
    parts.push(`<line x1="${px}" y1="${PLOT.top}" x2="${px}" y2="${PLOT.top + height}" stroke="#eee"/>`);
    parts.push(`<text x="${px}" y="${PLOT.top + height + 16}" text-anchor="middle">${d === decades.from ? '≤' : ''}${percentLabel(10 ** d)}</text>`);
  }
  for (let r = 0; r <= 1.0001; r += 0.2) {
    parts.push(`<line x1="${PLOT.left}" y1="${y(r)}" x2="${PLOT.left + width}" y2="${y(r)}" stroke="#eee"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${y(r) + 4}" text-anchor="end">${Math.round(r * 100)}%</text>`);
  }
  for (const limit of FALSE_HIT_LIMITS) {
    parts.push(`<line x1="${x(limit)}" y1="${PLOT.top}" x2="${x(limit)}" y2="${PLOT.top + height}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  parts.push(`<circle cx="${x(CACHE_GOAL.maxFalseHitRate)}" cy="${y(CACHE_GOAL.recall)}" r="6" fill="none" stroke="#2ca02c" stroke-width="2"/>`);
  parts.push(`<text x="${x(CACHE_GOAL.maxFalseHitRate) - 9}" y="${y(CACHE_GOAL.recall) - 8}" text-anchor="end" fill="#2ca02c">goal</text>`);
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${width}" height="${height}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${PLOT.left + width / 2}" y="${HEIGHT - 12}" text-anchor="middle">false-hit rate on different-SQL pairs (log scale)</text>`);
  parts.push(`<text transform="translate(16 ${PLOT.top + height / 2}) rotate(-90)" text-anchor="middle">paraphrase recall</text>`);
  SERIES.forEach((series, i) => {
    const points = result.rows.map((r) => ({ threshold: r.threshold, scores: series.scores(r) })).filter((p): p is { threshold: number; scores: CacheScores } => p.scores !== null);
    const ly = PLOT.top + 16 + i * 18;
    parts.push(`<line x1="${WIDTH - PLOT.right + 14}" y1="${ly}" x2="${WIDTH - PLOT.right + 38}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`);
    parts.push(`<text x="${WIDTH - PLOT.right + 44}" y="${ly + 4}">${series.name}${points.length === 0 ? ' (n/a)' : ''}</text>`);
    const at = (p: { scores: CacheScores }) => ({ px: x(p.scores.falseHitRate), py: y(p.scores.paraphraseRecall) });
    parts.push(`<polyline points="${points.map((p) => `${at(p).px.toFixed(1)},${at(p).py.toFixed(1)}`).join(' ')}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    let lastLabel: { px: number; py: number } | null = null;
    for (const p of points) {
      const { px, py } = at(p);
      // Every 0.05 is labelled, unless it would sit on the previous label (thresholds crowd where recall is near 100%).
      const labelled = Math.round(p.threshold * 100) % 5 === 0 && (lastLabel === null || Math.hypot(px - lastLabel.px, py - lastLabel.py) > 30);
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${labelled ? 3 : 1.5}" fill="${series.color}"/>`);
      if (!labelled) continue;
      parts.push(`<text x="${(px + 5).toFixed(1)}" y="${(py - 5).toFixed(1)}" fill="${series.color}" font-size="10">${p.threshold.toFixed(2)}</text>`);
      lastLabel = { px, py };
    }
  });
  parts.push(`<text x="${WIDTH - PLOT.right + 14}" y="${PLOT.top + 64}" fill="#555">labels: threshold</text>`);
  parts.push(`<text x="${WIDTH - PLOT.right + 14}" y="${PLOT.top + 80}" fill="#555">dashed: ${FALSE_HIT_LIMITS.map((l) => percentLabel(l)).join(', ')}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function percentLabel(rate: number): string {
  const p = rate * 100;
  return `${p >= 1 ? p.toFixed(0) : p.toPrecision(1)}%`;
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
