import type pg from 'pg';

/** How a table's rows are shared between tenants. */
export type Tenancy = { kind: 'tenant'; column: string } | { kind: 'reference' };

/** Citus's own view of a table, null in single-node mode or for tables Citus does not manage. */
export type CitusTableType = 'distributed' | 'reference' | 'local' | null;

/**
 * Citus decides for the tables it manages: a distributed table is tenant-scoped by its
 * distribution column, a reference table is shared. Any other table is tenant-scoped when it has
 * the tenant column, unless it was registered with distrag_meta.create_reference_table().
 */
export function classifyTenancy(
  columnNames: readonly string[],
  citus: { type: CitusTableType; column: string | null } | undefined,
  registeredAsReference: boolean,
  tenantColumn: string,
): Tenancy {
  if (citus?.type === 'distributed' && citus.column) return { kind: 'tenant', column: citus.column };
  if (citus?.type === 'reference' || registeredAsReference) return { kind: 'reference' };
  return columnNames.includes(tenantColumn) ? { kind: 'tenant', column: tenantColumn } : { kind: 'reference' };
}

/**
 * The tenant column of every table of `schemas` (`schema.table` → column, null for reference
 * tables), by the same rule as the data API. For consumers that only need tenancy (the change feed).
 */
export async function readTenantColumns(client: pg.ClientBase, schemas: string[], tenantColumn: string): Promise<Map<string, string | null>> {
  const { rows: citusRows } = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  const citus = citusRows.length > 0;
  const { rows } = await client.query<{ name: string; columns: string[]; citus_type: string | null; citus_column: string | null; registered: boolean }>(
    `SELECT n.nspname || '.' || c.relname AS name,
            ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            ${citus ? CITUS_TYPE : 'NULL'} AS citus_type, ${citus ? CITUS_COLUMN : 'NULL'} AS citus_column,
            EXISTS (SELECT 1 FROM distrag_meta.reference_tables r WHERE r.relid = c.oid) AS registered
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')`,
    [schemas],
  );
  return new Map(
    rows.map((r) => {
      const tenancy = classifyTenancy(r.columns, r.citus_type ? { type: r.citus_type as CitusTableType, column: r.citus_column } : undefined, r.registered, tenantColumn);
      return [r.name, tenancy.kind === 'tenant' ? tenancy.column : null];
    }),
  );
}

const CITUS_TYPE = `(SELECT CASE WHEN p.partkey IS NOT NULL THEN 'distributed' WHEN p.repmodel = 't' THEN 'reference' ELSE 'local' END
  FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)`;
const CITUS_COLUMN = `(SELECT pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)`;
