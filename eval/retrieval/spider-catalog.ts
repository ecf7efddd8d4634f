import fs from 'node:fs';
import path from 'node:path';
import initSqlJs, { type Database } from 'sql.js';
import type { ColumnInfo, ForeignKeyInfo, TableInfo } from '../../subgraphs/rag/retrieve/table-info.js';
import { spiderDatabaseFile, SpiderDatasetError } from '../spider/spider-dataset.js';

/** As the catalog reader takes them: a few values of text columns with at most 20 distinct ones, each capped. */
const SAMPLE_VALUES = 5;
const MAX_DISTINCT = 20;
const SAMPLE_LENGTH = 40;

/** Spider's coarse column types, as the PostgreSQL types a loader would give them. */
const PG_TYPES: Record<string, string> = { text: 'text', number: 'numeric', time: 'timestamp', boolean: 'boolean', others: 'text' };

interface SpiderSchema {
  db_id: string;
  table_names_original: string[];
  column_names_original: Array<[number, string]>;
  column_types: string[];
  primary_keys: Array<number | number[]>;
  foreign_keys: Array<[number, number]>;
}

/**
 * Every database of a Spider-format directory's tables.json as one catalog: each database a
 * schema, each table `<db>.<table>` lower-cased, with Spider's types, keys and foreign keys; row
 * counts and sample values from database/<db>/<db>.sqlite when it is there. Only the original
 * (SQL) names are used, never Spider's hand-written natural-language names: a real catalog has
 * none. The eval catalog has no tenants: every table is shared, so every table may show samples.
 */
export async function loadSpiderCatalog(dir: string, databases?: ReadonlySet<string>): Promise<TableInfo[]> {
  const file = path.join(dir, 'tables.json');
  let schemas: SpiderSchema[];
  try {
    schemas = JSON.parse(fs.readFileSync(file, 'utf8')) as SpiderSchema[];
  } catch (error) {
    throw new SpiderDatasetError(`cannot read ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const SQL = await initSqlJs();
  const tables: TableInfo[] = [];
  for (const schema of schemas) {
    if (databases && !databases.has(schema.db_id)) continue;
    const dbFile = spiderDatabaseFile(dir, schema.db_id);
    const database = fs.existsSync(dbFile) ? new SQL.Database(fs.readFileSync(dbFile)) : null;
    try {
      tables.push(...schemaTables(schema, database));
    } finally {
      database?.close();
    }
  }
  return tables;
}

function schemaTables(schema: SpiderSchema, database: Database | null): TableInfo[] {
  const db = schema.db_id.toLowerCase();
  const qualified = (table: number) => `${db}.${schema.table_names_original[table]!.toLowerCase()}`;
  const columnsOf = (table: number) => schema.column_names_original.map((c, index) => ({ index, table: c[0], name: c[1] })).filter((c) => c.table === table);
  const primary = new Set(schema.primary_keys.flat());
  const column = (index: number) => schema.column_names_original[index]!;
  return schema.table_names_original.map((original, t): TableInfo => {
    const foreignKeys: ForeignKeyInfo[] = [];
    for (const [from, to] of schema.foreign_keys) {
      if (column(from)[0] !== t) continue;
      const fk = { columns: [column(from)[1].toLowerCase()], references: qualified(column(to)[0]), referencedColumns: [column(to)[1].toLowerCase()] };
      if (!foreignKeys.some((f) => JSON.stringify(f) === JSON.stringify(fk))) foreignKeys.push(fk);
    }
    const columns = columnsOf(t).map(
      (c): ColumnInfo => ({
        name: c.name.toLowerCase(),
        type: PG_TYPES[schema.column_types[c.index] ?? 'text'] ?? 'text',
        nullable: !primary.has(c.index),
        samples: schema.column_types[c.index] === 'text' && database ? samplesOf(database, original, c.name) : [],
      }),
    );
    return {
      name: qualified(t),
      schema: db,
      table: original.toLowerCase(),
      columns,
      primaryKey: columnsOf(t).filter((c) => primary.has(c.index)).map((c) => c.name.toLowerCase()),
      foreignKeys,
      rowEstimate: database ? countRows(database, original) : 0,
      tenancy: 'reference',
      description: null,
    };
  });
}

function samplesOf(database: Database, table: string, column: string): string[] {
  const [result] = database.exec(`SELECT DISTINCT ${identifier(column)} FROM ${identifier(table)} WHERE ${identifier(column)} IS NOT NULL LIMIT ${MAX_DISTINCT + 1}`);
  const values = (result?.values ?? []).map((row) => row[0]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  if ((result?.values.length ?? 0) > MAX_DISTINCT) return [];
  return values.slice(0, SAMPLE_VALUES).map((v) => v.slice(0, SAMPLE_LENGTH));
}

function countRows(database: Database, table: string): number {
  const [result] = database.exec(`SELECT count(*) FROM ${identifier(table)}`);
  return Number(result?.values[0]?.[0] ?? 0);
}

/** A SQLite identifier (names come from the dataset's tables.json). */
function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
