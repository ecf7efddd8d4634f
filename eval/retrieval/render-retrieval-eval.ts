import { shortCommit } from '../../bench/bench-result.js';
import type { WeightsCrossValidation } from './cross-validate-weights.js';
import { RETRIEVAL_KS } from './evaluate-retrieval.js';
import type { RetrievalEvalResult } from './retrieval-eval-result.js';

export const RETRIEVAL_EVAL_TITLE = 'Table retrieval: gold tables in the top k on Spider dev (`npx distrag eval retrieval`)';

/** The eval as markdown: where and what it measured, one row per ablation, the plot at `plotPath`. */
export function renderRetrievalEval(result: RetrievalEvalResult, plotPath: string | null): string {
  const c = result.counts;
  const header = ['retrieval', ...RETRIEVAL_KS.map((k) => `all gold in top ${k}`), ...RETRIEVAL_KS.map((k) => `recall@${k}`)];
  const lines = [
    `- Commit \`${shortCommit(result)}\`, measured ${result.date} in ${Math.round(result.elapsedSeconds)} s; data \`${result.data}\`: ${c.questions} questions over one catalog of ${c.tables} tables from ${c.databases} databases (${c.goldByTokenScan} gold queries read by token scan, ${c.skipped} skipped).`,
    `- Embedder \`${result.embedder}\`; every search over the whole catalog through \`SchemaIndex.search\` (Chroma).`,
    ...result.notes.map((n) => `- ${n}`),
    '',
    ...(plotPath === null ? [] : [`![Share of questions with every gold table in the top k](${plotPath})`, '']),
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...result.variants.map((v) => `| ${v.label} | ${RETRIEVAL_KS.map((k) => percent(v.allGold[String(k)]!)).join(' | ')} | ${RETRIEVAL_KS.map((k) => v.recall[String(k)]!.toFixed(3)).join(' | ')} |`),
    '',
    ...(result.crossValidation === null ? [] : renderCrossValidation(result.crossValidation)),
    ...result.method.map((m) => `- ${m}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Per held-out database the weights chosen on the others and both figures, then the grid on all questions (tuned). */
function renderCrossValidation(cv: WeightsCrossValidation): string[] {
  const held = cv.pooledHeldOut;
  const byPoint = new Map(cv.allQuestions.map((p) => [`${p.bm25Weight}/${p.neighbourWeight}`, p]));
  return [
    `**Weights chosen leaving one database out** (held out, pooled: ${percent(held.allGoldAt3)} of ${held.questions} questions with every gold table in the top 3, ${held.complete} questions)`,
    '',
    '| held-out database | BM25 | neighbours | training questions | training: all gold in top 3 | held-out questions | held out: all gold in top 3 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...cv.folds.map((f) => `| ${f.database} | ${f.chosen.bm25Weight} | ${f.chosen.neighbourWeight} | ${f.training.questions} | ${percent(f.training.allGoldAt3)} | ${f.heldOut.questions} | ${percent(f.heldOut.allGoldAt3)} |`),
    '',
    '**Every grid point on all questions** (tuned: the data the weights are chosen on; all gold in top 3)',
    '',
    `| BM25 \\ neighbours | ${cv.grid.neighbourWeights.join(' | ')} |`,
    `| --- | ${cv.grid.neighbourWeights.map(() => '---:').join(' | ')} |`,
    ...cv.grid.bm25Weights.map((b) => `| ${b} | ${cv.grid.neighbourWeights.map((n) => percent(byPoint.get(`${b}/${n}`)!.allGoldAt3)).join(' | ')} |`),
    '',
  ];
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}
