import fs from 'node:fs';
import initSqlJs, { type Database, type SqlValue } from 'sql.js';
import { spiderDatabaseFile } from './spider-dataset.js';

/** The dataset's SQLite files, each opened with sql.js on first use. */
export interface SpiderSqlite {
  /** The database of a db_id; throws when its file is missing. */
  database: (db: string) => Database;
  /** Runs one statement on a database; its rows (none for a statement that returns nothing). */
  query: (db: string, sql: string) => SqlValue[][];
  close: () => void;
}

/** Opens the SQLite files of a Spider-format directory (database/<db>/<db>.sqlite) lazily. */
export async function openSpiderSqlite(dir: string): Promise<SpiderSqlite> {
  const SQL = await initSqlJs();
  const open = new Map<string, Database>();
  const database = (db: string): Database => {
    let found = open.get(db);
    if (found === undefined) {
      const file = spiderDatabaseFile(dir, db);
      if (!fs.existsSync(file)) throw new Error(`no rows for database ${db}: ${file} is missing`);
      found = new SQL.Database(fs.readFileSync(file));
      open.set(db, found);
    }
    return found;
  };
  return {
    database,
    query: (db, sql) => database(db).exec(sql)[0]?.values ?? [],
    close: () => {
      for (const d of open.values()) d.close();
      open.clear();
    },
  };
}
