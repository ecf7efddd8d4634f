import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import { projectRoot } from '../src/paths.js';

export interface BenchTable {
  title: string;
  /** The first `keyColumns` columns name a row (case, path); the rest are its measurements. */
  columns: string[];
  keyColumns: number;
  rows: Array<Array<string | number>>;
  /** Notes that hold for this run's mode (shown prefixed with it). */
  notes: string[];
  /** Notes that hold for every mode (shown once). */
  sharedNotes?: string[];
}

/** One benchmark run in one mode, as bench/results/<name>.<mode>.json keeps it. */
interface ModeRun {
  name: string;
  mode: ClusterMode;
  commit: string;
  at: string;
  machine: string;
  table: BenchTable;
  raw: unknown;
}

const MODES: ClusterMode[] = ['SINGLE', 'CITUS'];
/** Read when the benchmark process starts: the code it measures (a commit made meanwhile is not it). */
const MEASURED_COMMIT = currentCommit();
const resultsDir = path.join(projectRoot, 'bench', 'results');

/**
 * Records one run (bench/results/<name>.<mode>.json), then renders the latest run of each mode
 * into one table (bench/results/<name>.md and .json, and the README between
 * `<!-- bench:NAME -->` markers): a row per measurement, SINGLE and CITUS next to each other,
 * each stamped with the commit it measured.
 */
export function writeResults(name: string, mode: ClusterMode, table: BenchTable, raw: unknown): { md: string; json: string } {
  fs.mkdirSync(resultsDir, { recursive: true });
  const run: ModeRun = { name, mode, commit: MEASURED_COMMIT, at: new Date().toISOString(), machine: machineLine(), table, raw };
  fs.writeFileSync(path.join(resultsDir, `${name}.${mode.toLowerCase()}.json`), JSON.stringify(run, null, 2));
  const runs = MODES.map((m) => readRun(name, m)).filter((r): r is ModeRun => r !== null);
  const md = renderRuns(runs);
  const mdFile = path.join(resultsDir, `${name}.md`);
  const jsonFile = path.join(resultsDir, `${name}.json`);
  fs.writeFileSync(mdFile, md);
  fs.writeFileSync(jsonFile, JSON.stringify({ name, runs }, null, 2));
  updateReadme(name, md);
  return { md: mdFile, json: jsonFile };
}

function readRun(name: string, mode: ClusterMode): ModeRun | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(resultsDir, `${name}.${mode.toLowerCase()}.json`), 'utf8')) as ModeRun;
  } catch {
    return null;
  }
}

/** The latest run of each mode as one markdown table, rows of the same key next to each other. */
export function renderRuns(runs: ModeRun[]): string {
  const [first] = runs;
  if (!first) return '';
  const { columns, keyColumns } = first.table;
  const key = (row: Array<string | number>) => row.slice(0, keyColumns).join('\u0000');
  const order: string[] = [];
  for (const run of runs) for (const row of run.table.rows) if (!order.includes(key(row))) order.push(key(row));
  const lines: string[] = [];
  for (const k of order) {
    for (const run of runs) {
      for (const row of run.table.rows.filter((r) => key(r) === k)) {
        lines.push(`| ${[...row.slice(0, keyColumns), run.mode, ...row.slice(keyColumns), `\`${run.commit}\``].join(' | ')} |`);
      }
    }
  }
  const header = [...columns.slice(0, keyColumns), 'mode', ...columns.slice(keyColumns), 'commit'];
  const shared = [...new Set(runs.flatMap((r) => r.table.sharedNotes ?? []))];
  return [
    `### ${first.table.title}`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines,
    '',
    ...shared.map((n) => `- ${n}`),
    ...runs.flatMap((r) => r.table.notes.map((n) => `- ${r.mode}: ${n}`)),
    ...runs.map((r) => `- ${r.mode} run: commit \`${r.commit}\`, ${r.at}; ${r.machine}.`),
    '',
  ].join('\n');
}

/**
 * The commit the working tree is at, `+dirty` when the code being measured has uncommitted
 * changes (tests, docs and earlier results do not count).
 */
function currentCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
    const code = ['.', ':!test', ':!bench/results', ':!*.md'];
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', ...code], { cwd: projectRoot, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * Replaces the README's block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with the new
 * table, so the README always shows the last runs. A README without the markers is left alone.
 */
function updateReadme(name: string, md: string): void {
  const readme = path.join(projectRoot, 'README.md');
  if (!fs.existsSync(readme)) return;
  const text = fs.readFileSync(readme, 'utf8');
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = text.indexOf(open);
  if (start === -1) return;
  const end = text.indexOf(close, start);
  const after = end === -1 ? text.slice(start + open.length) : text.slice(end + close.length);
  fs.writeFileSync(readme, `${text.slice(0, start)}${open}\n${md.replace(/^### .*\n\n/, '')}${close}${after}`);
}
