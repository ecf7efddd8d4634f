import { shortCommit } from '../../bench/bench-result.js';
import { wrongLiteralHits, type BestThreshold, type CacheScores, type ThresholdRow } from './cache-evaluation.js';
import type { CacheEvalResult } from './cache-eval-result.js';

export const CACHE_EVAL_TITLE = 'Semantic cache: precision on Spider dev (`npx distrag eval cache`)';

/**
 * The eval as markdown — where and what it measured, the best thresholds, then one row per
 * threshold (every 0.02 from 0.60, and the best ones) — with the plot at `plotPath`.
 */
export function renderCacheEval(result: CacheEvalResult, plotPath: string): string {
  const c = result.counts;
  const lines = [
    `- Commit \`${shortCommit(result)}\`, measured ${result.date} in ${Math.round(result.elapsedSeconds)} s; data \`${result.data}\`: ${c.questions} questions over ${c.databases} databases, ${c.unparsedGold} gold ${c.unparsedGold === 1 ? 'query' : 'queries'} PostgreSQL's parser refuses after conversion.`,
    `- Embedder \`${result.embedder}\`; guard ${result.guard.available ? `\`judgeCandidate\` with ${JSON.stringify(result.guard.policy)}` : `not available (${result.guard.unavailableReason}): raw cosine only`}.`,
    `- Pairs: ${c.paraphrasePairs} paraphrase, ${c.differentSqlPairs} different-SQL (of which ${c.naturalLiteralPairs} differ only in values), each asked both ways; ${c.syntheticSwaps} synthetic literal swaps, asked once.`,
    ...(c.guardErrors > 0 ? [`- ⚠ the guard threw ${c.guardErrors} times (scored as REJECT): ${c.guardError}`] : []),
    ...result.notes.map((n) => `- ${n}`),
    '',
    `![Paraphrase recall against false-hit rate, raw cosine and guard](${plotPath})`,
    '',
    ...renderTable(result),
    '',
    ...result.method.map((m) => `- ${m}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** One line per best threshold: `57.2% at ≤ 1% false hits (threshold 0.83: 0.95%, 3 wrong literal-swap hits)`. */
export function describeBest(best: BestThreshold): string {
  const limit = percent(best.maxFalseHitRate, best.maxFalseHitRate < 0.01 ? 1 : 0);
  if (best.threshold === null) return `no threshold keeps false hits ≤ ${limit}`;
  return `${percent(best.recall, 1)} recall at ≤ ${limit} false hits (threshold ${best.threshold.toFixed(2)}: ${percent(best.falseHitRate, 2)}, ${best.wrongLiteralHits} wrong literal-swap hits)`;
}

function renderTable(result: CacheEvalResult): string[] {
  const bestThresholds = new Set([...result.best.raw, ...(result.best.guard ?? [])].map((b) => b.threshold));
  const rows = result.rows.filter((r) => (r.threshold >= 0.6 - 1e-9 && Math.round(r.threshold * 100) % 2 === 0) || bestThresholds.has(r.threshold));
  const guarded = result.guard.available;
  const header = ['threshold', 'raw recall', 'raw false hits', 'raw literal-swap hits', ...(guarded ? ['guard recall', 'guard false hits', 'guard correct rebinds', 'guard literal-swap plain hits', 'guard literal-swap rebinds right / wrong'] : [])];
  const literalTrials = (s: CacheScores) => s.naturalLiteral.trials + s.syntheticLiteral.trials;
  const cells = (row: ThresholdRow) => [
    bestThresholds.has(row.threshold) ? `**${row.threshold.toFixed(2)}**` : row.threshold.toFixed(2),
    percent(row.raw.paraphraseRecall, 1),
    `${percent(row.raw.falseHitRate, 2)} (${row.raw.falseHits})`,
    `${wrongLiteralHits(row.raw)} / ${literalTrials(row.raw)}`,
    ...(row.guard
      ? [
          percent(row.guard.paraphraseRecall, 1),
          `${percent(row.guard.falseHitRate, 2)} (${row.guard.falseHits})`,
          String(row.guard.correctRebinds),
          `${row.guard.naturalLiteral.plainHits + row.guard.syntheticLiteral.plainHits} / ${literalTrials(row.guard)}`,
          `${row.guard.naturalLiteral.rebindsCorrect + row.guard.syntheticLiteral.rebindsCorrect} / ${row.guard.naturalLiteral.rebindsWrong + row.guard.syntheticLiteral.rebindsWrong}`,
        ]
      : []),
  ];
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${cells(r).join(' | ')} |`)];
}

function percent(value: number, digits: number): string {
  return `${(value * 100).toFixed(digits)}%`;
}
