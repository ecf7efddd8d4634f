import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

/** One question of a Spider-format dataset; `query` is its gold SQL in SQLite's dialect. */
export interface SpiderQuestion {
  db_id: string;
  question: string;
  query: string;
}

export interface SpiderTable {
  /** As the database spells it (`table_names_original`). */
  name: string;
  columns: string[];
}

/** A dataset directory: questions.json, tables.json, and optionally database/<db>/<db>.sqlite. */
export interface SpiderDataset {
  dir: string;
  questions: SpiderQuestion[];
  /** Each database's tables, by db_id. */
  schemas: Map<string, SpiderTable[]>;
}

/** A dataset that cannot be used; the message is one line saying which file and what is wrong. */
export class SpiderDatasetError extends Error {
  override name = 'SpiderDatasetError';
}

const DEFAULT_RELATIVE = path.join('shared', 'datasets', 'spider-dev');

/**
 * Where the Spider dev subset is expected: `shared/datasets/spider-dev` beside the project (the
 * project's parent holds `shared/` in the layout it is deployed in), else in the nearest ancestor
 * that has one — of the project, then of the local checkout it was cloned from, and so on (a clean
 * clone made elsewhere, as CI makes, finds the dataset beside its origin); the first candidate when none
 * exists, so the error names the expected place.
 */
export function defaultSpiderDir(root: string = projectRoot): string {
  const roots = [root];
  // A clone of a clone: follow the chain of local origins (a few steps, never in a circle).
  for (let origin = localOrigin(root); origin !== null && roots.length < 5 && !roots.includes(origin); origin = localOrigin(origin)) roots.push(origin);
  const candidates = roots.flatMap(ancestorCandidates);
  return candidates.find((c) => fs.existsSync(path.join(c, 'questions.json'))) ?? candidates[0]!;
}

function ancestorCandidates(root: string): string[] {
  const candidates: string[] = [];
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, DEFAULT_RELATIVE));
    if (path.dirname(dir) === dir) break;
  }
  return candidates;
}

/** The directory `root` was cloned from, when its git origin is a local path (null otherwise). */
function localOrigin(root: string): string | null {
  let config: string;
  try {
    config = fs.readFileSync(path.join(root, '.git', 'config'), 'utf8');
  } catch {
    return null;
  }
  const url = /\[remote "origin"\][^[]*?\n\s*url\s*=\s*(.+)/.exec(config)?.[1]?.trim();
  if (!url) return null;
  const local = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.isAbsolute(local) && fs.existsSync(local) ? path.resolve(local) : null;
}

/** The path of a database's rows (which may not exist: the files are optional). */
export function spiderDatabaseFile(dir: string, db: string): string {
  return path.join(dir, 'database', db, `${db}.sqlite`);
}

/** Reads and checks questions.json and tables.json of a Spider-format directory. */
export function loadSpiderDataset(dir: string): SpiderDataset {
  if (!fs.existsSync(dir)) throw new SpiderDatasetError(`no dataset directory ${dir}`);
  const questionsFile = path.join(dir, 'questions.json');
  const questions = readJson(questionsFile, dir);
  if (!Array.isArray(questions) || questions.length === 0) throw new SpiderDatasetError(`${questionsFile} must be a non-empty array of { db_id, question, query }`);
  questions.forEach((q: unknown, i) => {
    if (!isRecord(q) || typeof q.db_id !== 'string' || typeof q.question !== 'string' || typeof q.query !== 'string') {
      throw new SpiderDatasetError(`${questionsFile}: entry ${i} lacks a string db_id, question or query`);
    }
  });
  const tablesFile = path.join(dir, 'tables.json');
  const tables = readJson(tablesFile, dir);
  if (!Array.isArray(tables)) throw new SpiderDatasetError(`${tablesFile} must be an array of Spider schemas`);
  const schemas = new Map<string, SpiderTable[]>();
  tables.forEach((t: unknown, i) => {
    const names = isRecord(t) ? t.table_names_original : undefined;
    const columns = isRecord(t) ? t.column_names_original : undefined;
    if (!isRecord(t) || typeof t.db_id !== 'string' || !isStringList(names) || !Array.isArray(columns) || !columns.every(isColumnEntry)) {
      throw new SpiderDatasetError(`${tablesFile}: entry ${i} lacks db_id, table_names_original or column_names_original`);
    }
    // Spider lists columns as [table index, name]; index -1 is the `*` pseudo-column.
    schemas.set(t.db_id, names.map((name, table) => ({ name, columns: columns.filter((c) => c[0] === table).map((c) => c[1]) })));
  });
  const typed = questions as SpiderQuestion[];
  const missing = [...new Set(typed.map((q) => q.db_id))].filter((db) => !schemas.has(db));
  if (missing.length > 0) throw new SpiderDatasetError(`${tablesFile} has no schema for ${missing.join(', ')}`);
  return { dir, questions: typed, schemas };
}

function readJson(file: string, dir: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SpiderDatasetError(code === 'ENOENT' ? `no ${path.basename(file)} in ${dir}: not a Spider-format dataset directory` : `cannot read ${file} (${code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SpiderDatasetError(`${file} is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isColumnEntry(value: unknown): value is [number, string] {
  return Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string';
}
