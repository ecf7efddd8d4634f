/**
 * The parts of a result file (bench/bench-result.ts, served by GET /console/api/benchmarks) the
 * Benchmarks panel reads; declared here so that the web app does not import server code.
 */
export type BenchMode = 'SINGLE' | 'CITUS';

export interface BenchFigure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface BenchTable {
  title: string | null;
  keyColumns: string[];
  columns: Array<{ name: string; digits: number }>;
  rows: Array<{ key: string[]; figures: Array<BenchFigure | null> }>;
}

export interface BenchResult {
  benchmark: string;
  title: string;
  mode: BenchMode;
  commit: string;
  dirty: boolean;
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  settings: { runs: number; durationSeconds: number; connections: number };
  tables: BenchTable[];
  notes: string[];
}

export interface BenchListing {
  results: BenchResult[];
  plots: Array<{ name: string; title: string }>;
}

/** One table of a benchmark with every mode's medians side by side (rows matched by their keys). */
export interface MergedTable {
  title: string | null;
  keyColumns: string[];
  columns: Array<{ name: string; digits: number }>;
  rows: Array<{ key: string[]; label: string; figures: Map<BenchMode, Map<string, BenchFigure | null>> }>;
  modes: BenchMode[];
}

export interface BenchGroup {
  benchmark: string;
  title: string;
  results: BenchResult[];
  tables: MergedTable[];
}

const MODE_ORDER: BenchMode[] = ['SINGLE', 'CITUS'];

/** The results grouped by benchmark (in the listing's order), each with its tables merged across modes. */
export function groupResults(results: BenchResult[]): BenchGroup[] {
  const groups = new Map<string, BenchResult[]>();
  for (const result of results) groups.set(result.benchmark, [...(groups.get(result.benchmark) ?? []), result]);
  return [...groups].map(([benchmark, list]) => {
    const ordered = [...list].sort((a, b) => MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode));
    return { benchmark, title: ordered[0]!.title, results: ordered, tables: mergeTables(ordered) };
  });
}

function mergeTables(results: BenchResult[]): MergedTable[] {
  const tables = new Map<string, MergedTable>();
  for (const result of results) {
    for (const table of result.tables) {
      const id = table.title ?? '';
      let merged = tables.get(id);
      if (!merged) {
        merged = { title: table.title, keyColumns: table.keyColumns, columns: [], rows: [], modes: [] };
        tables.set(id, merged);
      }
      if (!merged.modes.includes(result.mode)) merged.modes.push(result.mode);
      for (const column of table.columns) if (!merged.columns.some((c) => c.name === column.name)) merged.columns.push(column);
      for (const row of table.rows) {
        const label = row.key.join(' · ');
        let mergedRow = merged.rows.find((r) => r.label === label);
        if (!mergedRow) {
          mergedRow = { key: row.key, label, figures: new Map() };
          merged.rows.push(mergedRow);
        }
        const byColumn = new Map<string, BenchFigure | null>();
        table.columns.forEach((column, i) => byColumn.set(column.name, row.figures[i] ?? null));
        mergedRow.figures.set(result.mode, byColumn);
      }
    }
  }
  return [...tables.values()];
}

/** A median as the result files' tables show it: the column's digits, thousands grouped. */
export function formatMedian(figure: BenchFigure | null | undefined, digits: number): string {
  if (!figure) return '';
  return figure.median.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The column a table's chart starts with: the first latency or throughput one, else the first. */
export function defaultColumn(table: MergedTable): string {
  const preferred = table.columns.find((c) => /p50|req\/s|per s|\/s\b|ms\b|\bs\b/i.test(c.name));
  return (preferred ?? table.columns[0])?.name ?? '';
}
