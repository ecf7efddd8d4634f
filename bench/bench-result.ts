import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import type { Figure } from './figure.js';

/** Version of the result file layout below; files without it (one run per figure) are not read. */
export const RESULT_FORMAT = 2;

/** Fewer runs than this and a result is flagged as not one to quote. */
export const MIN_RUNS = 3;

export interface BenchColumn {
  name: string;
  /** Digits after the decimal point when shown. */
  digits: number;
}

export interface BenchRow {
  /** One cell per key column (case, path, …). */
  key: string[];
  /** One per measured column; null where the column does not apply to the row. */
  figures: Array<Figure | null>;
}

export interface BenchTable {
  /** Shown above the table; null for a benchmark's main table. */
  title: string | null;
  keyColumns: string[];
  columns: BenchColumn[];
  rows: BenchRow[];
}

/** How a run was made: the same for every figure of it. */
export interface BenchSettings {
  /** Measured runs per figure. */
  runs: number;
  /** Seconds each timed load lasts (per path, per run). */
  durationSeconds: number;
  /** Concurrent connections (or writers) of each load. */
  connections: number;
}

export interface BenchMachine {
  /** os.availableParallelism(): the CPUs this process may use. */
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  /** process.version */
  node: string;
  platform: string;
}

/** What a benchmark measured in one mode: bench/results/<benchmark>.<mode>.json. */
export interface BenchResult {
  format: typeof RESULT_FORMAT;
  benchmark: string;
  title: string;
  mode: ClusterMode;
  /** The full commit the code measured was at ('unknown' outside git). */
  commit: string;
  /** Whether the measured code had uncommitted changes (tests, docs and results do not count). */
  dirty: boolean;
  /** When the measurement finished (ISO 8601). */
  date: string;
  /** Wall time of the whole benchmark in this mode, the private stack's start and stop included. */
  elapsedSeconds: number;
  machine: BenchMachine;
  settings: BenchSettings;
  tables: BenchTable[];
  /** Conclusions drawn in this run from its own figures (goals met or not). */
  notes: string[];
  /** How the benchmark measures: prose and settings, no measured figure; alike in every mode. */
  method: string[];
}

/** What a benchmark hands back (`mode`: the one its stack ran in); `runBenchmark` stamps it with the commit, machine and time. */
export type BenchOutcome = Pick<BenchResult, 'mode' | 'title' | 'tables' | 'notes' | 'method'>;

/** A parsed result file, or null when it is not one of this format (an older layout, or damaged). */
export function asBenchResult(value: unknown): BenchResult | null {
  if (value === null || typeof value !== 'object') return null;
  const r = value as Partial<BenchResult>;
  if (r.format !== RESULT_FORMAT || typeof r.benchmark !== 'string' || (r.mode !== 'SINGLE' && r.mode !== 'CITUS')) return null;
  if (typeof r.commit !== 'string' || typeof r.dirty !== 'boolean' || typeof r.date !== 'string') return null;
  if (!r.settings || typeof r.settings.runs !== 'number' || !r.machine || !Array.isArray(r.tables) || !Array.isArray(r.notes) || !Array.isArray(r.method)) return null;
  return r as BenchResult;
}

/** The commit as tables show it: ten hex digits, `+dirty` for a tree with uncommitted changes. */
export function shortCommit(result: Pick<BenchResult, 'commit' | 'dirty'>): string {
  return `${result.commit.slice(0, 10)}${result.dirty ? '+dirty' : ''}`;
}
