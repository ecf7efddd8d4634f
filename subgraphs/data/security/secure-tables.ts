import type pg from 'pg';
import type { Logger } from 'pino';
import type { CatalogTable } from '../catalog/catalog-model.js';

/** The one policy DistRAG owns on every tenant table (named in distrag_meta.secure_table()). */
export const TENANT_POLICY = 'distrag_tenant_isolation';
/** The transaction-local setting the policy reads; set with a literal `SET LOCAL` per request. */
export const TENANT_SETTING = 'distrag.tenant';

/**
 * How long securing a table waits for a lock another transaction holds before it gives way. Below
 * PostgreSQL's deadlock_timeout (1 s) and Citus's distributed deadlock detection (2 s): when a
 * user's DDL and DistRAG's securing wait on each other across nodes, DistRAG's statement is the one
 * that yields, never the user's. The table is secured on a later attempt (`deferred`).
 */
export const SECURE_LOCK_TIMEOUT_MS = 300;

const LOCK_NOT_AVAILABLE = '55P03';

export interface SecureOutcome {
  /** Tables whose security changed. */
  changed: string[];
  /** Tables left as they were because another transaction held a lock on them: try again later. */
  deferred: string[];
}

/**
 * Brings every exposed table's security in line with its tenancy, so that the database itself
 * enforces CONTRACT §4 whatever SQL reaches it: distrag_meta.secure_table()
 * (schema/sql/009_least_privilege.sql) enables row-level security with DistRAG's tenant policy on
 * tenant tables, grants each API role what it may do, and does nothing when the table is already
 * as wanted. It runs as its owner: the data subgraph's catalog role may call it but cannot ALTER
 * or GRANT anything itself. A table gets grants only together with its policy, so a new table is
 * unreachable by the API roles until it is secured. Each table is secured in a transaction of its
 * own that waits at most SECURE_LOCK_TIMEOUT_MS for a lock (`SET LOCAL`, which Citus passes on to
 * the workers). Steady state: nothing changed, no DDL.
 */
export async function secureTables(client: pg.ClientBase, tables: CatalogTable[], log: Logger): Promise<SecureOutcome> {
  const outcome: SecureOutcome = { changed: [], deferred: [] };
  for (const table of tables) {
    const tenantColumn = table.tenancy.kind === 'tenant' ? table.tenancy.column : null;
    if (tenantColumn !== null && !table.columns.some((c) => c.name === tenantColumn)) continue;
    let statements: number;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${SECURE_LOCK_TIMEOUT_MS}`);
      const { rows } = await client.query<{ statements: number }>('SELECT distrag_meta.secure_table($1::oid::regclass, $2) AS statements', [String(table.oid), tenantColumn]);
      await client.query('COMMIT');
      statements = rows[0]?.statements ?? 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
        log.info({ table: table.qualifiedName }, 'table locked by another transaction; securing it again shortly');
        outcome.deferred.push(table.qualifiedName);
        continue;
      }
      throw new Error(`could not secure table ${table.qualifiedName}: ${(error as Error).message}`, { cause: error });
    }
    if (statements === 0) continue;
    log.info({ table: table.qualifiedName, tenancy: table.tenancy, statements }, 'table secured for the data API');
    outcome.changed.push(table.qualifiedName);
  }
  return outcome;
}
