import { shortCommit } from '../../bench/bench-result.js';
import type { GuardEvalResult, HostileCounts } from './guard-eval-result.js';

export const GUARD_EVAL_TITLE = 'SQL guard: false rejections on Spider gold SQL, hostile statements executed (`npx distrag eval guard`)';

/** The eval as markdown: the false-rejection table (with each refusal), the hostile table (with each leak), the method. */
export function renderGuardEval(result: GuardEvalResult): string {
  const { gold, hostile } = result;
  const hostileRow = (name: string, c: HostileCounts) => `| ${[name, c.cases, c.refused, c.passed, c.executed].join(' | ')} |`;
  const lines = [
    `- Commit \`${shortCommit(result)}\`, measured ${result.date} in ${Math.round(result.elapsedSeconds)} s; data \`${result.data}\`.`,
    `- False rejections: **${gold.refused}** of ${gold.queries} gold queries refused (goal 0).`,
    `- Hostile statements: **${hostile.executed}** of ${hostile.cases} executed (goal 0); ${hostile.passed} passed the guard; canary changed after ${hostile.canaryChanged}; search path \`${hostile.scope.searchPath.join(', ')}\`, readable ${hostile.scope.readableTables.map((t) => `\`${t}\``).join(', ')}.`,
    '',
    '| database | gold queries | refused |',
    '| --- | ---: | ---: |',
    ...Object.entries(gold.byDatabase)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([db, c]) => `| ${db} | ${c.queries} | ${c.refused} |`),
    `| **all** | ${gold.queries} | ${gold.refused} |`,
    ...(gold.refusals.length > 0 ? ['', 'Refused gold queries:', '', ...gold.refusals.map((r) => `- \`${r.db}\` \`${oneLine(r.sql)}\` — ${r.rule}: ${r.reason}`)] : []),
    '',
    '| hostile category | cases | refused | passed | executed |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(hostile.byCategory)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, c]) => hostileRow(category, c)),
    hostileRow('**all**', hostile),
    ...(hostile.leaks.length > 0
      ? ['', 'Hostile statements the guard passed:', '', ...hostile.leaks.map((l) => `- \`${l.id}\` (${l.category}) \`${oneLine(l.sql)}\` — ${l.executed ? '**executed**' : `failed: ${l.error}`}${l.canaryChanged ? ', **canary changed**' : ''}`)]
      : []),
    '',
    ...result.method.map((m) => `- ${m}`),
  ];
  return `${lines.join('\n')}\n`;
}

function oneLine(sql: string): string {
  return sql.replace(/\s+/g, ' ').replaceAll('`', "'").trim();
}
