import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { demoTables, type DemoTable, type Row } from './demo-data.js';

export interface SeedProgress {
  table: string;
  rows: number;
  total: number;
}

/**
 * Replaces the demo data with the data set of `scale`, in one transaction, loading each table with
 * COPY (as the admin role: Citus refuses COPY under row-level security). Returns rows per table.
 */
export async function loadDemoData(client: pg.ClientBase, scale: number, onProgress: (p: SeedProgress) => void = () => undefined): Promise<Record<string, number>> {
  const tables = demoTables(scale);
  const loaded: Record<string, number> = {};
  await client.query('BEGIN');
  try {
    await client.query(`TRUNCATE ${tables.map((t) => t.table).reverse().join(', ')}`);
    for (const table of tables) loaded[table.table] = await copyTable(client, table, onProgress);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  // Fresh planner statistics: the data API's cost estimates read them too.
  await client.query(`ANALYZE ${tables.map((t) => t.table).join(', ')}`);
  return loaded;
}

async function copyTable(client: pg.ClientBase, table: DemoTable, onProgress: (p: SeedProgress) => void): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${table.table} (${table.columns.join(', ')}) FROM STDIN`));
  let count = 0;
  const lines = Readable.from(
    (function* () {
      let batch = '';
      for (const row of table.rows()) {
        batch += toCopyLine(row);
        count += 1;
        if (count % 5_000 === 0) {
          yield batch;
          batch = '';
          onProgress({ table: table.table, rows: count, total: table.count });
        }
      }
      if (batch) yield batch;
    })(),
  );
  await pipeline(lines, stream);
  onProgress({ table: table.table, rows: count, total: table.count });
  return count;
}

/** One line of COPY text format: tab-separated, \N for null, backslash escapes. */
export function toCopyLine(row: Row): string {
  return `${row.map((v) => (v === null ? '\\N' : String(v).replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!))).join('\t')}\n`;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
