import type pg from 'pg';
import type { Logger } from 'pino';
import { API_DB_ROLES } from '../../../src/db/api-roles.js';
import type { CatalogTable } from '../catalog/catalog-model.js';

/** The one policy DistRAG owns on every tenant table. */
export const TENANT_POLICY = 'distrag_tenant_isolation';
/** The transaction-local setting the policy reads; set with a literal `SET LOCAL` per request. */
export const TENANT_SETTING = 'distrag.tenant';

const WRITES = ['INSERT', 'UPDATE', 'DELETE'] as const;
type Privilege = 'SELECT' | (typeof WRITES)[number] | 'TRUNCATE';

interface TableSecurityState {
  relid: string;
  rls: boolean;
  forced: boolean;
  policyColumn: string | null;
  hasPolicy: boolean;
  otherPolicies: number;
  /** `<db role> <PRIVILEGE>` for every privilege the API roles hold, directly, through PUBLIC or membership. */
  held: string[];
  /** Sequences behind serial / identity columns that a writing role cannot use yet. */
  sequencesMissingUsage: string[];
  /** pg_class.relreplident: d default (primary key), f full, i index, n nothing. */
  replicaIdentity: string;
}

/**
 * Brings every exposed table's security in line with its tenancy, so that the database itself
 * enforces CONTRACT §4 whatever SQL reaches it:
 * - tenant tables: row-level security enabled and forced, one policy comparing the tenant column
 *   with the transaction-local setting (unset means no rows: NULLIF turns the '' a reused
 *   connection reports into NULL), SELECT for readers, DML for writers and admins;
 * - reference tables: SELECT for readers and writers, DML for admins only.
 * A table gets grants only together with its policy, so a new table is unreachable by the API
 * roles until it is secured. Tables whose primary key lacks the tenant column (or that have no
 * primary key) get REPLICA IDENTITY FULL for the change feed. Returns the tables changed (steady
 * state: none, no DDL).
 */
export async function secureTables(client: pg.ClientBase, tables: CatalogTable[], log: Logger): Promise<string[]> {
  if (tables.length === 0) return [];
  const states = await readSecurityStates(client, tables);
  const changed: string[] = [];
  for (const table of tables) {
    const state = states.get(String(table.oid));
    if (!state) continue;
    const statements = plannedStatements(client, table, state);
    if (statements.length === 0) continue;
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.secure_tables'))`);
      // DistRAG's own DDL: not a schema change event (the event trigger skips it).
      await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
      // GRANT takes no lock on the table: without one, a user's ALTER TABLE running at the same
      // moment fails with "tuple concurrently updated". This lock waits for DDL and makes DDL
      // wait, but lets reads and writes through.
      await client.query(`LOCK TABLE ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)} IN SHARE UPDATE EXCLUSIVE MODE`);
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`could not secure table ${table.qualifiedName}: ${(error as Error).message}`, { cause: error });
    }
    log.info({ table: table.qualifiedName, tenancy: table.tenancy, statements: statements.length }, 'table secured for the data API');
    changed.push(table.qualifiedName);
  }
  return changed;
}

/** The DDL and GRANT/REVOKE statements that take one table from its state to the wanted one. */
function plannedStatements(client: pg.ClientBase, table: CatalogTable, state: TableSecurityState): string[] {
  const id = (name: string) => client.escapeIdentifier(name);
  const target = `${id(table.schema)}.${id(table.name)}`;
  const statements: string[] = [];
  const { reader, writer, admin: operator } = API_DB_ROLES;
  const wanted: Record<string, Privilege[]> =
    table.tenancy.kind === 'tenant'
      ? { [reader]: ['SELECT'], [writer]: ['SELECT', ...WRITES], [operator]: ['SELECT', ...WRITES] }
      : { [reader]: ['SELECT'], [writer]: ['SELECT'], [operator]: ['SELECT', ...WRITES] };
  const held = new Set(state.held);

  if (table.tenancy.kind === 'tenant') {
    const column = table.columns.find((c) => c.name === (table.tenancy as { column: string }).column);
    if (!column) return [];
    if (!state.rls) statements.push(`ALTER TABLE ${target} ENABLE ROW LEVEL SECURITY`);
    if (!state.forced) statements.push(`ALTER TABLE ${target} FORCE ROW LEVEL SECURITY`);
    if (!state.hasPolicy || state.policyColumn !== column.name) {
      if (state.hasPolicy) statements.push(`DROP POLICY ${id(TENANT_POLICY)} ON ${target}`);
      // column.type.sqlType comes from format_type() in the catalog: trusted SQL.
      const tenantValue = `NULLIF(current_setting('${TENANT_SETTING}', true), '')::${column.type.sqlType}`;
      const check = `${id(column.name)} = ${tenantValue}`;
      statements.push(`CREATE POLICY ${id(TENANT_POLICY)} ON ${target} USING (${check}) WITH CHECK (${check})`);
    }
  } else if (state.hasPolicy) {
    statements.push(`DROP POLICY ${id(TENANT_POLICY)} ON ${target}`);
    if (state.otherPolicies === 0) statements.push(`ALTER TABLE ${target} NO FORCE ROW LEVEL SECURITY`, `ALTER TABLE ${target} DISABLE ROW LEVEL SECURITY`);
  }

  for (const [role, privileges] of Object.entries(wanted)) {
    const missing = privileges.filter((p) => !held.has(`${role} ${p}`));
    if (missing.length > 0) statements.push(`GRANT ${missing.join(', ')} ON ${target} TO ${id(role)}`);
    const extra = (['SELECT', ...WRITES, 'TRUNCATE'] as Privilege[]).filter((p) => !privileges.includes(p) && held.has(`${role} ${p}`));
    // Also from PUBLIC: a privilege granted to everyone reaches the API roles too.
    if (extra.length > 0) statements.push(`REVOKE ${extra.join(', ')} ON ${target} FROM PUBLIC, ${id(role)}`);
  }
  // The change feed reads deletes and updates by logical decoding: their old row must carry the
  // tenant column, so tables whose primary key does not hold it (or that have none) log full rows.
  const tenantColumn = table.tenancy.kind === 'tenant' ? table.tenancy.column : null;
  const keyCarriesTenant = table.primaryKey !== null && (tenantColumn === null || table.primaryKey.columns.includes(tenantColumn));
  if (!keyCarriesTenant && state.replicaIdentity !== 'f') statements.push(`ALTER TABLE ${target} REPLICA IDENTITY FULL`);
  for (const sequence of state.sequencesMissingUsage) {
    statements.push(`GRANT USAGE, SELECT ON SEQUENCE ${sequence} TO ${id(writer)}, ${id(operator)}`);
  }
  return statements;
}

async function readSecurityStates(client: pg.ClientBase, tables: CatalogTable[]): Promise<Map<string, TableSecurityState>> {
  const roles = Object.values(API_DB_ROLES);
  const { rows } = await client.query<TableSecurityState>(
    `SELECT c.oid::text AS relid, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
            pol.oid IS NOT NULL AS "hasPolicy",
            (SELECT a.attname::text FROM pg_depend d
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_policy'::regclass AND d.objid = pol.oid AND d.refobjid = c.oid AND d.refobjsubid > 0
              LIMIT 1) AS "policyColumn",
            (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname <> $2) AS "otherPolicies",
            c.relreplident::text AS "replicaIdentity",
            ARRAY(SELECT r || ' ' || p FROM unnest($3::text[]) r, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                   WHERE has_table_privilege(r, c.oid, p)) AS held,
            ARRAY(SELECT s.oid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                   WHERE d.classid = 'pg_class'::regclass AND d.refobjid = c.oid AND d.deptype IN ('a', 'i')
                     AND NOT (has_sequence_privilege($4, s.oid, 'USAGE') AND has_sequence_privilege($5, s.oid, 'USAGE'))) AS "sequencesMissingUsage"
     FROM pg_class c
     LEFT JOIN pg_policy pol ON pol.polrelid = c.oid AND pol.polname = $2
     WHERE c.oid = ANY($1::oid[])`,
    [tables.map((t) => String(t.oid)), TENANT_POLICY, roles, API_DB_ROLES.writer, API_DB_ROLES.admin],
  );
  return new Map(rows.map((r) => [r.relid, r]));
}
