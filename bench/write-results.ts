import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/paths.js';

export interface BenchTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  notes: string[];
}

/** Writes bench/results/<name>.md (a table for the README) and <name>.json (raw numbers and machine). */
export function writeResults(name: string, table: BenchTable, raw: unknown): { md: string; json: string } {
  const dir = path.join(projectRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const md = [
    `### ${table.title}`,
    '',
    `| ${table.columns.join(' | ')} |`,
    `| ${table.columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...table.notes.map((n) => `- ${n}`),
    `- Machine: ${machine}; run ${new Date().toISOString()}.`,
    '',
  ].join('\n');
  const mdFile = path.join(dir, `${name}.md`);
  const jsonFile = path.join(dir, `${name}.json`);
  fs.writeFileSync(mdFile, md);
  fs.writeFileSync(jsonFile, JSON.stringify({ name, machine, at: new Date().toISOString(), table, raw }, null, 2));
  updateReadme(name, md);
  return { md: mdFile, json: jsonFile };
}

/**
 * Replaces the README's block between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with the new
 * table, so the README always shows the last run. A README without the markers is left alone.
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
