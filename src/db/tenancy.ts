import type pg from 'pg';

/** How a table's rows are shared between tenants. */
export type Tenancy = { kind: 'tenant'; column: string } | { kind: 'reference' };

/** Citus's own view of a table, null in single-node mode or for tables Citus does not manage. */
export type CitusTableType = 'distributed' | 'reference' | 'local' | null;

/** Citus's metadata of one table, by table oid: its kind, distribution column, `schema.table` and colocation group. */
export type CitusTables = Map<string, { type: Exclude<CitusTableType, null>; column: string | null; name: string; colocation: number }>;

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

export async function hasCitus(client: pg.ClientBase): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'citus'`);
  return (rowCount ?? 0) > 0;
}

/** Every table Citus manages (empty without Citus). */
export async function readCitusTables(client: pg.ClientBase, citus: boolean): Promise<CitusTables> {
  if (!citus) return new Map();
  // pg_dist_partition rather than the citus_tables view, whose schema varies between installs.
  const { rows } = await client.query<{ relid: string; type: Exclude<CitusTableType, null>; column: string | null; name: string; colocation: number }>(
    `SELECT p.logicalrelid::oid::text AS relid,
            CASE WHEN p.partkey IS NOT NULL THEN 'distributed' WHEN p.repmodel = 't' THEN 'reference' ELSE 'local' END AS type,
            pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) AS column,
            pg_catalog.format('%I.%I', n.nspname, c.relname) AS name, p.colocationid AS colocation
     FROM pg_catalog.pg_dist_partition p
     JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`,
  );
  return new Map(rows.map(({ relid, ...table }) => [relid, table]));
}

/**
 * Oids of the tables registered with distrag_meta.create_reference_table(); none in a database
 * the migrations never ran on (e.g. the text2sql eval's PostgreSQL), which has no registry.
 */
export async function readReferenceRegistry(client: pg.ClientBase): Promise<Set<string>> {
  const { rows: registry } = await client.query<{ present: boolean }>(`SELECT to_regclass('distrag_meta.reference_tables') IS NOT NULL AS present`);
  if (!registry[0]?.present) return new Set();
  const { rows } = await client.query<{ relid: string }>(`SELECT relid::text AS relid FROM distrag_meta.reference_tables`);
  return new Set(rows.map((r) => r.relid));
}

/**
 * The tenant column of every table of `schemas` (`schema.table` → column, null for reference
 * tables), by the same rule as the data API. For consumers that only need tenancy (the change feed).
 */
export async function readTenantColumns(client: pg.ClientBase, schemas: string[], tenantColumn: string): Promise<Map<string, string | null>> {
  const citus = await readCitusTables(client, await hasCitus(client));
  const registered = await readReferenceRegistry(client);
  const { rows } = await client.query<{ relid: string; name: string; columns: string[] }>(
    `SELECT c.oid::text AS relid, n.nspname || '.' || c.relname AS name,
            ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')`,
    [schemas],
  );
  return new Map(
    rows.map((r) => {
      const tenancy = classifyTenancy(r.columns, citus.get(r.relid), registered.has(r.relid), tenantColumn);
      return [r.name, tenancy.kind === 'tenant' ? tenancy.column : null];
    }),
  );
}
