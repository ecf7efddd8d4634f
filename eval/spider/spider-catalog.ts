import type { PostgresColumnType } from './postgres-column-type.js';

/** Where `loadSpiderIntoPostgres` put the Spider databases: per db_id, its schema and tables. */
export interface SpiderCatalog {
  databases: Record<string, LoadedDatabase>;
  /** Wall time of the whole load. */
  elapsedMs: number;
}

export interface LoadedDatabase {
  db: string;
  /** The PostgreSQL schema holding the database's tables. */
  schema: string;
  tables: LoadedTable[];
  /** Keys from tables.json: how many were created, and those the data (or the column types) refused. */
  keys: { applied: number; skipped: SkippedKey[] };
}

export interface LoadedTable {
  /** PostgreSQL's name: the original lower-cased, so that Spider's unquoted SQL finds it. */
  name: string;
  /** As the SQLite database spells it. */
  original: string;
  rows: number;
  columns: LoadedColumn[];
}

export interface LoadedColumn {
  name: string;
  original: string;
  type: PostgresColumnType;
  /** The type SQLite's CREATE TABLE declares. */
  declaredType: string;
}

export interface SkippedKey {
  kind: 'primary key' | 'foreign key';
  table: string;
  columns: string[];
  /** PostgreSQL's message when creating it failed. */
  reason: string;
}

/** A database's tables as schema-qualified names (`concert_singer.singer`). */
export function qualifiedTables(database: LoadedDatabase): string[] {
  return database.tables.map((t) => `${database.schema}.${t.name}`);
}

/** The catalog entry of a db_id; throws when it was not loaded. */
export function loadedDatabase(catalog: SpiderCatalog, db: string): LoadedDatabase {
  const database = catalog.databases[db];
  if (database === undefined) throw new Error(`database ${db} is not in the catalog (loaded: ${Object.keys(catalog.databases).join(', ')})`);
  return database;
}
