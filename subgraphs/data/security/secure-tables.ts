import type pg from 'pg';
import type { Logger } from 'pino';
import type { CatalogTable } from '../catalog/catalog-model.js';

/** The one policy DistRAG owns on every tenant table (named in distrag_meta.secure_table()). */
export const TENANT_POLICY = 'distrag_tenant_isolation';
/** The transaction-local setting the policy reads; set with a literal `SET LOCAL` per request. */
export const TENANT_SETTING = 'distrag.tenant';

/**
 * Brings every exposed table's security in line with its tenancy, so that the database itself
 * enforces CONTRACT §4 whatever SQL reaches it: distrag_meta.secure_table()
 * (schema/sql/009_least_privilege.sql) enables row-level security with DistRAG's tenant policy on
 * tenant tables, grants each API role what it may do, and does nothing when the table is already
 * as wanted. It runs as its owner: the data subgraph's catalog role may call it but cannot ALTER
 * or GRANT anything itself. A table gets grants only together with its policy, so a new table is
 * unreachable by the API roles until it is secured. Returns the tables changed (steady state:
 * none, no DDL).
 */
export async function secureTables(client: pg.ClientBase, tables: CatalogTable[], log: Logger): Promise<string[]> {
  const changed: string[] = [];
  for (const table of tables) {
    const tenantColumn = table.tenancy.kind === 'tenant' ? table.tenancy.column : null;
    if (tenantColumn !== null && !table.columns.some((c) => c.name === tenantColumn)) continue;
    let statements: number;
    try {
      const { rows } = await client.query<{ statements: number }>('SELECT distrag_meta.secure_table($1::oid::regclass, $2) AS statements', [String(table.oid), tenantColumn]);
      statements = rows[0]?.statements ?? 0;
    } catch (error) {
      throw new Error(`could not secure table ${table.qualifiedName}: ${(error as Error).message}`, { cause: error });
    }
    if (statements === 0) continue;
    log.info({ table: table.qualifiedName, tenancy: table.tenancy, statements }, 'table secured for the data API');
    changed.push(table.qualifiedName);
  }
  return changed;
}
