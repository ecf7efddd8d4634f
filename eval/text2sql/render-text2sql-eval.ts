import { shortCommit } from '../../bench/bench-result.js';
import type { Text2SqlCounts, Text2SqlResult } from './text2sql-result.js';

export const TEXT2SQL_EVAL_TITLE = 'Text-to-SQL: execution accuracy on Spider dev (`npx distrag eval text2sql`)';

/** The eval as markdown: where and what it measured, one row per database and the total, then the method. */
export function renderText2SqlEval(result: Text2SqlResult): string {
  const header = ['database', 'questions', 'correct', 'accuracy', 'wrong', 'error', 'no SQL'];
  const row = (name: string, c: Text2SqlCounts) => `| ${[name, c.questions, c.correct, percent(c.accuracy), c.wrong, c.errors, c.noSql].join(' | ')} |`;
  const lines = [
    `- Commit \`${shortCommit(result)}\`, measured ${result.date} in ${Math.round(result.elapsedSeconds)} s; data \`${result.data}\`: ${result.overall.questions} questions over ${Object.keys(result.byDatabase).length} databases.`,
    ...(result.predictor ? [`- SQL by \`${result.predictor.model}\` (${result.predictor.provider}), up to ${result.predictor.sqlRetries} retries; tables: ${result.predictor.retrieval}.`] : []),
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...Object.entries(result.byDatabase)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([db, c]) => row(db, c)),
    row('**all**', result.overall),
    '',
    ...result.method.map((m) => `- ${m}`),
  ];
  return `${lines.join('\n')}\n`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
