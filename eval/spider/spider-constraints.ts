import fs from 'node:fs';
import path from 'node:path';

/** A key declared in tables.json, by the database's own table and column names. */
export interface SpiderPrimaryKey {
  table: string;
  columns: string[];
}

export interface SpiderForeignKey {
  table: string;
  column: string;
  refTable: string;
  refColumn: string;
}

export interface SpiderConstraints {
  primaryKeys: SpiderPrimaryKey[];
  foreignKeys: SpiderForeignKey[];
}

interface RawSchema {
  db_id: string;
  table_names_original: string[];
  column_names_original: Array<[number, string]>;
  primary_keys?: Array<number | number[]>;
  foreign_keys?: Array<[number, number]>;
}

/**
 * The primary and foreign keys tables.json declares, per db_id (loadSpiderDataset has checked the
 * file's shape). Spider lists keys by column index; a table named by several primary-key entries
 * (or by a nested list) has a composite key. A foreign key listed twice is kept once.
 */
export function readSpiderConstraints(dir: string): Map<string, SpiderConstraints> {
  const schemas = JSON.parse(fs.readFileSync(path.join(dir, 'tables.json'), 'utf8')) as RawSchema[];
  return new Map(schemas.map((s) => [s.db_id, constraintsOf(s)]));
}

function constraintsOf(schema: RawSchema): SpiderConstraints {
  const column = (index: number) => {
    const [table, name] = schema.column_names_original[index] ?? [-1, ''];
    return { table: schema.table_names_original[table] ?? '', name };
  };
  const byTable = new Map<string, string[]>();
  for (const index of (schema.primary_keys ?? []).flat()) {
    const { table, name } = column(index);
    if (table !== '') byTable.set(table, [...(byTable.get(table) ?? []), name]);
  }
  const seen = new Set<string>();
  const foreignKeys: SpiderForeignKey[] = [];
  for (const [from, to] of schema.foreign_keys ?? []) {
    const a = column(from);
    const b = column(to);
    const key = JSON.stringify([a, b]);
    if (a.table === '' || b.table === '' || seen.has(key)) continue;
    seen.add(key);
    foreignKeys.push({ table: a.table, column: a.name, refTable: b.table, refColumn: b.name });
  }
  return { primaryKeys: [...byTable].map(([table, columns]) => ({ table, columns })), foreignKeys };
}
