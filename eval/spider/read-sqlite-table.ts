import type { Database, SqlValue } from 'sql.js';

/** SQLite's storage class of a value, as `typeof()` names it. */
export type StorageClass = 'null' | 'integer' | 'real' | 'text' | 'blob';

export interface SqliteColumn {
  name: string;
  /** The type the CREATE TABLE declares ('' when none). */
  declaredType: string;
}

/** A table's rows as SQLite stores them, with each value's storage class. */
export interface SqliteTable {
  columns: SqliteColumn[];
  rows: SqlValue[][];
  /** `storage[i][j]`: the storage class of `rows[i][j]`. */
  storage: StorageClass[][];
}

/** Reads a whole table (the Spider databases are small) and how SQLite stores each value. */
export function readSqliteTable(database: Database, table: string): SqliteTable {
  const info = database.exec(`PRAGMA table_info(${quote(table)})`)[0];
  if (info === undefined) throw new Error(`no table ${table} in the SQLite database`);
  const nameAt = info.columns.indexOf('name');
  const typeAt = info.columns.indexOf('type');
  const columns = info.values.map((row) => ({ name: String(row[nameAt]), declaredType: String(row[typeAt] ?? '') }));
  const selected = columns.flatMap((c) => [quote(c.name), `typeof(${quote(c.name)})`]).join(', ');
  const values = database.exec(`SELECT ${selected} FROM ${quote(table)}`)[0]?.values ?? [];
  return {
    columns,
    rows: values.map((row) => columns.map((_, i) => row[2 * i]!)),
    storage: values.map((row) => columns.map((_, i) => row[2 * i + 1] as StorageClass)),
  };
}

/** A SQLite identifier (names come from the database itself or tables.json, not from user input). */
function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
