import { MIN_RUNS, shortCommit, type BenchResult, type BenchTable } from './bench-result.js';
import { formatFigure } from './figure.js';

const MODE_ORDER = ['SINGLE', 'CITUS'] as const;

/** A benchmark's results (one per mode) as markdown: bench/results/<name>.md. */
export function renderBenchmark(benchmark: string, results: BenchResult[]): string {
  const title = results[0]?.title ?? `\`npx distrag bench ${benchmark}\``;
  return `### ${title}\n\n${renderBenchBody(benchmark, results)}`;
}

/**
 * The part the README shows between its markers: which commit, date, machine and settings each
 * mode was measured with, what is wrong with the set (see `benchProblems`), then the tables (each
 * cell the median of the runs and their range) and the notes.
 */
export function renderBenchBody(benchmark: string, results: BenchResult[]): string {
  const sorted = [...results].sort((a, b) => MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode));
  if (sorted.length === 0) return `_Not yet measured at this commit: run \`npx distrag bench ${benchmark}\`._\n`;
  const lines: string[] = [
    ...sorted.map((r) => `- ${r.mode}: commit \`${shortCommit(r)}\`, measured ${r.date}; ${runsLine(r)}; ${machineLine(r)}.`),
    ...benchProblems(benchmark, sorted).map((p) => `- ⚠ ${p}`),
    '',
    'Each cell: the median of the runs, then (min–max) when they differ.',
    '',
  ];
  const titles = [...new Set(sorted.flatMap((r) => r.tables.map((t) => t.title)))];
  for (const title of titles) {
    const tables = sorted.map((r) => ({ mode: r.mode, table: r.tables.find((t) => t.title === title) })).filter((t): t is { mode: BenchResult['mode']; table: BenchTable } => t.table !== undefined);
    if (title !== null) lines.push(`**${title}**`, '');
    lines.push(...renderTable(tables), '');
  }
  const method = [...new Set(sorted.flatMap((r) => r.method))];
  lines.push(...method.map((m) => `- ${m}`), ...sorted.flatMap((r) => r.notes.map((n) => `- ${r.mode}: ${n}`)));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** One markdown table from each mode's version of it: rows of the same key next to each other. */
function renderTable(tables: Array<{ mode: BenchResult['mode']; table: BenchTable }>): string[] {
  const first = tables[0]!.table;
  const header = [...first.keyColumns, 'mode', ...first.columns.map((c) => c.name)];
  const id = (key: string[]) => key.join('\u0000');
  const order: string[] = [];
  for (const { table } of tables) for (const row of table.rows) if (!order.includes(id(row.key))) order.push(id(row.key));
  const rows: string[] = [];
  for (const k of order) {
    for (const { mode, table } of tables) {
      for (const row of table.rows.filter((r) => id(r.key) === k)) {
        rows.push(`| ${[...row.key, mode, ...row.figures.map((f, c) => formatFigure(f, table.columns[c]?.digits ?? 0))].join(' | ')} |`);
      }
    }
  }
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows];
}

/**
 * What makes a set of results not one to quote as it stands: modes measured at different commits
 * or with different settings, code with uncommitted changes, fewer than MIN_RUNS runs per figure.
 */
export function benchProblems(benchmark: string, results: BenchResult[]): string[] {
  const problems: string[] = [];
  const commits = new Set(results.map(shortCommit));
  if (commits.size > 1) {
    problems.push(`measured at different commits (${results.map((r) => `${r.mode} \`${shortCommit(r)}\``).join(', ')}): the modes' rows are not comparable; rerun \`npx distrag bench ${benchmark}\`.`);
  }
  const settings = new Set(results.map((r) => runsLine(r)));
  if (settings.size > 1) problems.push(`the modes ran with different settings (${results.map((r) => `${r.mode}: ${runsLine(r)}`).join('; ')}).`);
  for (const r of results) {
    if (r.dirty) problems.push(`${r.mode} measured uncommitted changes on top of \`${r.commit.slice(0, 10)}\`: no commit holds that code.`);
    const runs = fewestRuns(r);
    if (runs < MIN_RUNS) problems.push(`${r.mode}: ${runs} run${runs === 1 ? '' : 's'} behind some figures, fewer than ${MIN_RUNS}: not a result to quote.`);
  }
  return problems;
}

/** The fewest runs behind any figure of a result (its setting, or less where a run gave no value). */
function fewestRuns(result: BenchResult): number {
  const counts = result.tables.flatMap((t) => t.rows.flatMap((row) => row.figures.flatMap((f) => (f ? [f.runs.length] : []))));
  return Math.min(result.settings.runs, ...counts);
}

function runsLine(r: BenchResult): string {
  const { runs, durationSeconds, connections } = r.settings;
  return `${runs} run${runs === 1 ? '' : 's'} × ${durationSeconds} s, ${connections} connections`;
}

function machineLine(r: BenchResult): string {
  const m = r.machine;
  return `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}; the whole run took ${Math.round(r.elapsedSeconds)} s`;
}
