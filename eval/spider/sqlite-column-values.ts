import fs from 'node:fs';
import initSqlJs, { type Database } from 'sql.js';
import { spiderDatabaseFile } from './spider-dataset.js';

/** The distinct non-null values of a column, or null when the database's rows are not there. */
export type ColumnValues = (db: string, table: string, column: string) => Array<string | number> | null;

/**
 * Reads column values from the dataset's SQLite files (database/<db>/<db>.sqlite) with sql.js,
 * opening each file on first use; `close` frees them all.
 */
export async function openSqliteColumnValues(dir: string): Promise<{ valuesOf: ColumnValues; close: () => void }> {
  const SQL = await initSqlJs();
  const open = new Map<string, Database | null>();
  const databaseOf = (db: string): Database | null => {
    if (!open.has(db)) {
      const file = spiderDatabaseFile(dir, db);
      open.set(db, fs.existsSync(file) ? new SQL.Database(fs.readFileSync(file)) : null);
    }
    return open.get(db)!;
  };
  const valuesOf: ColumnValues = (db, table, column) => {
    const database = databaseOf(db);
    if (database === null) return null;
    const [result] = database.exec(`SELECT DISTINCT ${identifier(column)} FROM ${identifier(table)} WHERE ${identifier(column)} IS NOT NULL`);
    return (result?.values ?? []).map((row) => row[0]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
  };
  const close = () => {
    for (const database of open.values()) database?.close();
    open.clear();
  };
  return { valuesOf, close };
}

/** A SQLite identifier (names come from the dataset's tables.json, not from user input). */
function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
