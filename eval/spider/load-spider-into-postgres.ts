import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SqlValue } from 'sql.js';
import { toCopyLine } from '../../src/seed/load-demo-data.js';
import { openSpiderSqlite } from './open-spider-sqlite.js';
import { postgresColumnType } from './postgres-column-type.js';
import { readSqliteTable } from './read-sqlite-table.js';
import type { LoadedDatabase, LoadedTable, SkippedKey, SpiderCatalog } from './spider-catalog.js';
import { readSpiderConstraints, type SpiderConstraints } from './spider-constraints.js';
import type { SpiderDataset } from './spider-dataset.js';

export interface LoadSpiderOptions {
  /** Only these db_ids (default: every database of tables.json). */
  databases?: string[];
  /** Put before each schema name (tests use one of their own); default none. */
  schemaPrefix?: string;
  report?: (line: string) => void;
}

/** Schema names PostgreSQL keeps for itself or every database has: a Spider db_id equal to one gets a prefix. */
const TAKEN_SCHEMAS = /^(public|information_schema|pg_.*)$/;

/**
 * Loads each Spider database's rows from its SQLite file into a PostgreSQL schema of its own (the
 * db_id lower-cased), tables and columns lower-cased so that Spider's unquoted SQL finds them,
 * column types chosen from the values (see `postgresColumnType`), rows by COPY, then the primary
 * and foreign keys of tables.json that the data satisfies (the others are skipped and listed).
 * Each database is one transaction that drops and recreates its schema, so loading again is safe.
 */
export async function loadSpiderIntoPostgres(client: pg.ClientBase, dataset: SpiderDataset, options: LoadSpiderOptions = {}): Promise<SpiderCatalog> {
  const started = performance.now();
  const dbs = options.databases ?? [...dataset.schemas.keys()];
  const constraints = readSpiderConstraints(dataset.dir);
  const sqlite = await openSpiderSqlite(dataset.dir);
  const databases: Record<string, LoadedDatabase> = {};
  try {
    for (const db of dbs) {
      const tables = dataset.schemas.get(db);
      if (tables === undefined) throw new Error(`tables.json has no database ${db}`);
      const schema = schemaName(db, options.schemaPrefix ?? '');
      const read = tables.map((t) => ({ original: t.name, ...readSqliteTable(sqlite.database(db), t.name) }));
      await client.query('BEGIN');
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
        await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
        const loaded: LoadedTable[] = [];
        for (const table of read) loaded.push(await createTable(client, schema, table));
        const keys = await addKeys(client, schema, loaded, constraints.get(db) ?? { primaryKeys: [], foreignKeys: [] });
        await client.query('COMMIT');
        databases[db] = { db, schema, tables: loaded, keys };
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      options.report?.(`loaded ${db} into schema ${schema}: ${read.length} tables, ${databases[db]!.tables.reduce((n, t) => n + t.rows, 0)} rows`);
    }
  } finally {
    sqlite.close();
  }
  return { databases, elapsedMs: Math.round(performance.now() - started) };
}

/** The schema of a db_id: lower-cased, prefixed when it would be a name PostgreSQL reserves. */
export function schemaName(db: string, prefix = ''): string {
  const name = `${prefix}${db.toLowerCase()}`;
  return TAKEN_SCHEMAS.test(name) ? `spider_${name}` : name;
}

async function createTable(client: pg.ClientBase, schema: string, table: { original: string } & ReturnType<typeof readSqliteTable>): Promise<LoadedTable> {
  const name = table.original.toLowerCase();
  const columns = table.columns.map((c, i) => ({
    name: c.name.toLowerCase(),
    original: c.name,
    declaredType: c.declaredType,
    type: postgresColumnType(table.rows.map((r) => r[i]!), table.storage.map((s) => s[i]!)),
  }));
  const clash = columns.find((c, i) => columns.findIndex((d) => d.name === c.name) !== i);
  if (clash) throw new Error(`table ${table.original} has two columns named ${clash.name} once lower-cased`);
  const target = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
  await client.query(`CREATE TABLE ${target} (${columns.map((c) => `${pg.escapeIdentifier(c.name)} ${c.type}`).join(', ')})`);
  if (table.rows.length > 0) {
    const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
    await pipeline(Readable.from([table.rows.map((row) => toCopyLine(row.map(copyValue))).join('')]), stream);
  }
  return { name, original: table.original, rows: table.rows.length, columns };
}

/** A value as COPY's text format takes it (blobs, absent from Spider, as hex bytea text). */
function copyValue(value: SqlValue): string | number | null {
  return value instanceof Uint8Array ? `\\x${Buffer.from(value).toString('hex')}` : value;
}

/**
 * Creates tables.json's keys, each under a savepoint so that one the data violates (duplicates,
 * nulls, dangling references, a referenced column that is not unique, mismatched types) is skipped
 * with PostgreSQL's reason. Primary keys go first: foreign keys need their targets unique.
 */
async function addKeys(client: pg.ClientBase, schema: string, tables: LoadedTable[], constraints: SpiderConstraints): Promise<LoadedDatabase['keys']> {
  const q = (name: string) => pg.escapeIdentifier(name);
  const target = (table: string) => `${q(schema)}.${q(table.toLowerCase())}`;
  const known = new Set(tables.map((t) => t.name));
  const skipped: SkippedKey[] = [];
  let applied = 0;
  const attempt = async (key: Omit<SkippedKey, 'reason'>, ddl: string) => {
    if (!known.has(key.table)) {
      skipped.push({ ...key, reason: `no table ${key.table}` });
      return;
    }
    await client.query('SAVEPOINT spider_key');
    try {
      await client.query(ddl);
      await client.query('RELEASE SAVEPOINT spider_key');
      applied += 1;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT spider_key');
      skipped.push({ ...key, reason: (error as Error).message });
    }
  };
  for (const pk of constraints.primaryKeys) {
    const columns = pk.columns.map((c) => c.toLowerCase());
    await attempt({ kind: 'primary key', table: pk.table.toLowerCase(), columns }, `ALTER TABLE ${target(pk.table)} ADD PRIMARY KEY (${columns.map(q).join(', ')})`);
  }
  for (const fk of constraints.foreignKeys) {
    const column = fk.column.toLowerCase();
    const ddl = `ALTER TABLE ${target(fk.table)} ADD FOREIGN KEY (${q(column)}) REFERENCES ${target(fk.refTable)} (${q(fk.refColumn.toLowerCase())})`;
    await attempt({ kind: 'foreign key', table: fk.table.toLowerCase(), columns: [column, `${fk.refTable.toLowerCase()}.${fk.refColumn.toLowerCase()}`] }, ddl);
  }
  return { applied, skipped };
}
