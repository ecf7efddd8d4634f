import type pg from 'pg';
import * as sql from 'pg-sql2';
import { readCitusEstimates } from '../../../src/db/citus-row-estimates.js';
import { readExposedTables, type ExposedTableRow } from '../../../src/db/exposed-tables.js';
import { classifyTenancy, hasCitus, readCitusTables, readReferenceRegistry } from '../../../src/db/tenancy.js';
import type { ColumnInfo, TableInfo } from './table-info.js';

export interface ReadCatalogTablesOptions {
  /** Schemas whose ordinary and partitioned tables are read (partitions through their parent). */
  schemas: string[];
  /** Tenant column of tables Citus does not distribute. */
  tenantColumn: string;
  /** Sample values per low-cardinality text column of a reference table (0: none). */
  sampleValues: number;
  /** Descriptions by `schema.table`, preferred to the table's comment. */
  descriptions?: Map<string, string>;
}

/** A column with more distinct values than this (among the rows looked at) gets no samples. */
const MAX_DISTINCT = 20;
/** Rows of a reference table looked at for samples: bounded cost on a big table. */
const SAMPLE_SCAN_ROWS = 10_000;
/** Characters kept of one sample value. */
const SAMPLE_LENGTH = 40;

interface ColumnRow {
  relid: string;
  name: string;
  type: string;
  not_null: boolean;
  text_like: boolean;
  enum_labels: string[] | null;
}

interface ConstraintRow {
  relid: string;
  type: 'p' | 'f';
  columns: string[];
  references: string | null;
  referenced_columns: string[] | null;
}

/**
 * Reads the tables of `schemas` for retrieval: columns with their types, primary and foreign
 * keys, a row estimate, tenancy by the data API's rule (src/db/tenancy.ts). Sample values come
 * only from data every tenant may see — enum labels, and the text columns of reference tables —
 * never from a tenant table: a summary is shown to every tenant.
 */
export async function readCatalogTables(client: pg.ClientBase, options: ReadCatalogTablesOptions): Promise<TableInfo[]> {
  const citus = await hasCitus(client);
  const tableRows = await readExposedTables(client, options.schemas);
  const relids = tableRows.map((t) => t.relid);
  const { rows: columnRows } = await client.query<ColumnRow>(COLUMNS_SQL, [relids]);
  const { rows: constraintRows } = await client.query<ConstraintRow>(CONSTRAINTS_SQL, [relids]);
  const citusTables = await readCitusTables(client, citus);
  const registered = await readReferenceRegistry(client);
  // One fan-out for every table's shard estimates (the data API's catalog reads them the same way).
  const shardEstimates = citus ? await readCitusEstimates(client, citusTables) : new Map<string, number>();

  const tables: TableInfo[] = [];
  for (const t of tableRows) {
    const columns = columnRows.filter((c) => c.relid === t.relid);
    const constraints = constraintRows.filter((c) => c.relid === t.relid);
    const citusInfo = citusTables.get(t.relid);
    const tenancy = classifyTenancy(columns.map((c) => c.name), citusInfo, registered.has(t.relid), options.tenantColumn).kind;
    const shared = tenancy === 'reference';
    const infos: ColumnInfo[] = [];
    for (const c of columns) {
      let samples = (c.enum_labels ?? []).slice(0, options.sampleValues);
      if (samples.length === 0 && shared && c.text_like && options.sampleValues > 0) samples = await readSamples(client, t, c.name, options.sampleValues);
      infos.push({ name: c.name, type: c.type, nullable: !c.not_null, samples: samples.map((s) => s.slice(0, SAMPLE_LENGTH)) });
    }
    const qualified = `${t.schema}.${t.name}`;
    tables.push({
      name: qualified,
      schema: t.schema,
      table: t.name,
      columns: infos,
      primaryKey: constraints.find((c) => c.type === 'p')?.columns ?? [],
      foreignKeys: constraints
        .filter((c) => c.type === 'f' && c.references !== null)
        .map((c) => ({ columns: c.columns, references: c.references!, referencedColumns: c.referenced_columns ?? [] })),
      // The planner's estimate (for a table Citus manages, its shards' sum: the coordinator's own is 0
      // or -1). Never analysed: unknown (0). Counting instead would scan every such table at each
      // schema refresh, racing the DDL that triggered it.
      rowEstimate: Math.max(0, Math.round(citusInfo !== undefined && citusInfo.type !== 'local' ? (shardEstimates.get(t.relid) ?? 0) : t.reltuples)),
      tenancy,
      description: options.descriptions?.get(qualified) ?? t.comment,
    });
  }
  return tables;
}

// Text-like: the string category, of the column's type or of a domain's base type.
const COLUMNS_SQL = `
SELECT a.attrelid::text AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       (coalesce(bt.typcategory, t.typcategory) = 'S') AS text_like,
       CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS enum_labels
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype AND t.typtype = 'd'
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS_SQL = `
SELECT con.conrelid::text AS relid, con.contype::text AS type,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       CASE WHEN con.contype = 'f' THEN fn.nspname || '.' || fc.relname END AS references,
       CASE WHEN con.contype = 'f' THEN ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) END AS referenced_columns
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'f')
ORDER BY con.conrelid, con.contype, con.conname`;

/** Up to `limit` distinct values of a column, or none when it has more than MAX_DISTINCT among the rows looked at. */
async function readSamples(client: pg.ClientBase, table: ExposedTableRow, column: string, limit: number): Promise<string[]> {
  const col = sql.identifier(column);
  const query = sql.compile(sql.query`
    SELECT DISTINCT left(${col}::text, ${sql.value(SAMPLE_LENGTH)}) AS value
    FROM (SELECT ${col} FROM ${sql.identifier(table.schema, table.name)} WHERE ${col} IS NOT NULL LIMIT ${sql.value(SAMPLE_SCAN_ROWS)}) s
    ORDER BY 1 LIMIT ${sql.value(MAX_DISTINCT + 1)}`);
  const { rows } = await client.query<{ value: string }>(query.text, query.values as unknown[]);
  if (rows.length > MAX_DISTINCT) return [];
  return rows.map((r) => r.value).filter((v) => v.trim() !== '').slice(0, limit);
}
