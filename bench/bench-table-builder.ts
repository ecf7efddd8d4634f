import type { BenchColumn, BenchTable } from './bench-result.js';
import { figureOf } from './figure.js';

/**
 * Collects a table's measurements run by run (`add` once per row and run), then turns each cell's
 * values into a figure (median, min, max over the runs).
 */
export class BenchTableBuilder {
  private readonly rows = new Map<string, { key: string[]; runs: Array<Array<number | null>> }>();

  constructor(private readonly spec: { title: string | null; keyColumns: string[]; columns: BenchColumn[] }) {}

  /** One run's values of a row, one per column; null where the column does not apply. */
  add(key: string[], values: Array<number | null>): void {
    if (key.length !== this.spec.keyColumns.length) throw new Error(`row ${key.join(' / ')}: ${key.length} key cells for ${this.spec.keyColumns.length} key columns`);
    if (values.length !== this.spec.columns.length) throw new Error(`row ${key.join(' / ')}: ${values.length} values for ${this.spec.columns.length} columns`);
    const id = key.join('\u0000');
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { key, runs: [] }));
    row.runs.push(values);
  }

  build(): BenchTable {
    return {
      ...this.spec,
      rows: [...this.rows.values()].map(({ key, runs }) => ({
        key,
        figures: this.spec.columns.map((_, c) => {
          const values = runs.map((run) => run[c]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
          return values.length === 0 ? null : figureOf(values);
        }),
      })),
    };
  }
}
