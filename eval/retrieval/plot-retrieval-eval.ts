import { RETRIEVAL_KS } from './evaluate-retrieval.js';
import type { RetrievalEvalResult } from './retrieval-eval-result.js';

const WIDTH = 860;
const HEIGHT = 420;
const PLOT = { left: 64, right: 320, top: 36, bottom: 52 };
const COLORS = ['#7f7f7f', '#1f77b4', '#ff7f0e', '#d62728', '#2ca02c', '#9467bd'];
/** The y axis starts here: below it every variant is far from useful. */
const Y_FROM = 0.4;

/** Share of questions with every gold table in the top k, against k, one line per ablation; the goal as a ring. */
export function plotRetrievalEval(result: RetrievalEvalResult): string {
  const width = WIDTH - PLOT.left - PLOT.right;
  const height = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (k: number) => PLOT.left + (RETRIEVAL_KS.indexOf(k as (typeof RETRIEVAL_KS)[number]) / (RETRIEVAL_KS.length - 1)) * width;
  const y = (share: number) => PLOT.top + (1 - (Math.max(share, Y_FROM) - Y_FROM) / (1 - Y_FROM)) * height;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${PLOT.left}" y="20" font-size="13">Table retrieval on ${escape(result.data.split('/').at(-1) ?? result.data)}: every gold table in the top k (commit ${result.commit.slice(0, 10)})</text>`,
  ];
  for (let share = Y_FROM; share <= 1.0001; share += 0.1) {
    parts.push(`<line x1="${PLOT.left}" y1="${y(share)}" x2="${PLOT.left + width}" y2="${y(share)}" stroke="#eee"/>`);
    parts.push(`<text x="${PLOT.left - 6}" y="${y(share) + 4}" text-anchor="end">${Math.round(share * 100)}%</text>`);
  }
  for (const k of RETRIEVAL_KS) {
    parts.push(`<line x1="${x(k)}" y1="${PLOT.top}" x2="${x(k)}" y2="${PLOT.top + height}" stroke="#eee"/>`);
    parts.push(`<text x="${x(k)}" y="${PLOT.top + height + 16}" text-anchor="middle">${k}</text>`);
  }
  parts.push(`<circle cx="${x(result.goal.k)}" cy="${y(result.goal.allGold)}" r="6" fill="none" stroke="#2ca02c" stroke-width="2"/>`);
  parts.push(`<text x="${x(result.goal.k) + 9}" y="${y(result.goal.allGold) + 16}" fill="#2ca02c">goal</text>`);
  parts.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${width}" height="${height}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${PLOT.left + width / 2}" y="${HEIGHT - 12}" text-anchor="middle">k (tables retrieved)</text>`);
  parts.push(`<text transform="translate(16 ${PLOT.top + height / 2}) rotate(-90)" text-anchor="middle">questions with every gold table in the top k</text>`);
  result.variants.forEach((variant, i) => {
    const color = COLORS[i % COLORS.length]!;
    const points = RETRIEVAL_KS.map((k) => `${x(k).toFixed(1)},${y(variant.allGold[String(k)]!).toFixed(1)}`);
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const k of RETRIEVAL_KS) parts.push(`<circle cx="${x(k).toFixed(1)}" cy="${y(variant.allGold[String(k)]!).toFixed(1)}" r="2.5" fill="${color}"/>`);
    const ly = PLOT.top + 16 + i * 18;
    parts.push(`<line x1="${WIDTH - PLOT.right + 14}" y1="${ly}" x2="${WIDTH - PLOT.right + 38}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${WIDTH - PLOT.right + 44}" y="${ly + 4}">${escape(variant.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
