import type pg from 'pg';
import { readCitusEstimates } from '../../../src/db/citus-row-estimates.js';
import { readExposedTables } from '../../../src/db/exposed-tables.js';
import { classifyTenancy, hasCitus, readCitusTables, readReferenceRegistry } from '../../../src/db/tenancy.js';
import type { Catalog, CatalogColumn, CatalogForeignKey, CatalogKey, CatalogTable } from './catalog-model.js';
import { readCatalogFingerprint } from './catalog-fingerprint.js';
import { mapPgType } from './type-mapping.js';

export interface ReadCatalogOptions {
  /** Schemas whose ordinary and partitioned tables are exposed (partitions are reached through their parent). */
  schemas: string[];
  /** Tenant column of tables Citus does not distribute (single-node mode, Citus local tables). */
  tenantColumn: string;
}

interface ColumnRow {
  relid: string;
  name: string;
  not_null: boolean;
  has_default: boolean;
  read_only: boolean;
  comment: string | null;
  sql_type: string;
  typname: string;
  typtype: string;
  typcategory: string;
  is_array: boolean;
  enum_schema: string | null;
  enum_labels: string[] | null;
}

interface ConstraintRow {
  relid: string;
  name: string;
  type: 'p' | 'u' | 'f' | 'c' | 'x';
  columns: string[];
  references: string | null;
  referenced_columns: string[] | null;
}

/** Reads every exposed table with its columns, keys, tenancy and size estimate, in one snapshot. */
export async function readCatalog(client: pg.ClientBase, options: ReadCatalogOptions): Promise<Catalog> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    // format_type() and regclass output then qualify every name outside pg_catalog: the type names
    // read here are pasted into casts and policies that run under other search paths.
    await client.query('SET LOCAL search_path TO pg_catalog');
    const citus = await hasCitus(client);
    const fingerprint = await readCatalogFingerprint(client, options.schemas, citus);
    const tableRows = await readExposedTables(client, options.schemas);
    const relids = tableRows.map((t) => t.relid);
    const { rows: columnRows } = await client.query<ColumnRow>(COLUMNS_SQL, [relids]);
    const { rows: constraintRows } = await client.query<ConstraintRow>(CONSTRAINTS_SQL, [relids]);
    const citusTypes = await readCitusTables(client, citus);
    const registered = await readReferenceRegistry(client);
    const estimates = citus ? await readCitusEstimates(client, citusTypes) : new Map<string, number>();
    const tables = tableRows.map((t): CatalogTable => {
      const columns = columnRows.filter((c) => c.relid === t.relid).map(toColumn);
      const constraints = constraintRows.filter((c) => c.relid === t.relid);
      const primary = constraints.find((c) => c.type === 'p');
      const citusInfo = citusTypes.get(t.relid);
      const estimate = estimates.get(t.relid) ?? (t.reltuples >= 0 ? t.reltuples : null);
      return {
        oid: Number(t.relid),
        schema: t.schema,
        name: t.name,
        qualifiedName: `${t.schema}.${t.name}`,
        comment: t.comment,
        columns,
        primaryKey: primary ? toKey(primary) : null,
        uniqueKeys: constraints.filter((c) => c.type === 'p' || c.type === 'u').map(toKey),
        foreignKeys: constraints.filter((c) => c.type === 'f' && c.references).map(toForeignKey),
        constraintNames: constraints.map((c) => c.name),
        tenancy: classifyTenancy(columns.map((c) => c.name), citusInfo, registered.has(t.relid), options.tenantColumn),
        citus: citusInfo?.type ?? null,
        estimatedRows: estimate,
      };
    });
    await client.query('COMMIT');
    return { mode: citus ? 'CITUS' : 'SINGLE', tables, fingerprint };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Re-reads only the row estimates (they change with ANALYZE, not with DDL). */
export async function readRowEstimates(client: pg.ClientBase, tables: CatalogTable[]): Promise<Map<number, number | null>> {
  const relids = tables.map((t) => String(t.oid));
  const { rows } = await client.query<{ relid: string; reltuples: number }>(
    `SELECT c.oid::text AS relid, c.reltuples::float8 AS reltuples FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [relids],
  );
  const result = new Map<number, number | null>(rows.map((r) => [Number(r.relid), r.reltuples >= 0 ? r.reltuples : null]));
  if (await hasCitus(client)) {
    const citus = await readCitusTables(client, true);
    for (const [relid, estimate] of await readCitusEstimates(client, citus)) result.set(Number(relid), estimate);
  }
  return result;
}

// Arrays and domains are unwrapped to the scalar type that decides the mapping; the column's own
// type (format_type) is kept for casts, so domain checks still apply on writes.
const COLUMNS_SQL = `
SELECT a.attrelid::text AS relid, a.attname AS name, a.attnotnull AS not_null, a.atthasdef AS has_default,
       (a.attgenerated <> '' OR a.attidentity = 'a') AS read_only,
       col_description(a.attrelid, a.attnum) AS comment,
       format_type(a.atttypid, NULL) AS sql_type,
       st.typname::text AS typname, st.typtype::text AS typtype, st.typcategory::text AS typcategory,
       (bt.typcategory = 'A') AS is_array,
       CASE WHEN st.typtype = 'e' THEN sn.nspname::text END AS enum_schema,
       CASE WHEN st.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = st.oid ORDER BY e.enumsortorder) END AS enum_labels
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
JOIN pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem ELSE bt.oid END
JOIN pg_type st ON st.oid = CASE WHEN et.typtype = 'd' THEN et.typbasetype ELSE et.oid END
JOIN pg_namespace sn ON sn.oid = st.typnamespace
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS_SQL = `
SELECT con.conrelid::text AS relid, con.conname::text AS name, con.contype::text AS type,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
       CASE WHEN con.contype = 'f' THEN fn.nspname || '.' || fc.relname END AS references,
       CASE WHEN con.contype = 'f' THEN ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) END AS referenced_columns
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY con.conrelid, con.contype, con.conname`;

function toColumn(row: ColumnRow): CatalogColumn {
  return {
    name: row.name,
    type: mapPgType({
      typname: row.typname,
      typtype: row.typtype,
      typcategory: row.typcategory,
      isArray: row.is_array,
      sqlType: row.sql_type,
      enumSchema: row.enum_schema,
      enumName: row.typtype === 'e' ? row.typname : null,
      enumLabels: row.enum_labels,
    }),
    notNull: row.not_null,
    hasDefault: row.has_default,
    readOnly: row.read_only,
    comment: row.comment,
  };
}

function toKey(row: ConstraintRow): CatalogKey {
  return { name: row.name, columns: row.columns };
}

function toForeignKey(row: ConstraintRow): CatalogForeignKey {
  return { name: row.name, columns: row.columns, references: row.references!, referencedColumns: row.referenced_columns ?? [] };
}
