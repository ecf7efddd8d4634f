import { createHmac } from 'node:crypto';
import pg from 'pg';
import type { Role } from '../auth/identity.js';

/**
 * The PostgreSQL roles API requests run as, one per DistRAG role. None is a superuser; only the
 * admin role bypasses row-level security. They are LOGIN roles because Citus opens its
 * connections to the workers as the role running the statement.
 */
export const API_DB_ROLES: Readonly<Record<Role, string>> = {
  /** SELECT on every exposed table; tenant rows filtered by row-level security. */
  reader: 'distrag_reader',
  /** Also INSERT / UPDATE / DELETE on tenant tables, within its tenant (WITH CHECK). */
  writer: 'distrag_writer',
  /** Every row of every exposed table (BYPASSRLS), DML only: no DDL, not a superuser. */
  admin: 'distrag_operator',
};

/**
 * Each service role's password (API and service roles), derived from the admin password: whoever
 * can bootstrap the database can compute them, and no further secret has to be stored; each
 * service is handed only its own roles' URLs.
 */
export function rolePassword(adminPassword: string, dbRole: string): string {
  return createHmac('sha256', adminPassword).update(`distrag-api-role:${dbRole}`).digest('base64url');
}

/** The connection URL of a service role, from the admin URL (same host, port and database). */
export function roleUrl(adminUrl: string, dbRole: string): string {
  const url = new URL(adminUrl);
  url.password = encodeURIComponent(rolePassword(decodeURIComponent(url.password), dbRole));
  url.username = dbRole;
  return url.toString();
}

/**
 * The PostgreSQL roles DistRAG's services connect as, besides the API roles: none holds the admin
 * credentials at run time (only `up`, `migrate`, `seed` and the CLI do).
 */
export const SERVICE_DB_ROLES = {
  /**
   * The data and cluster subgraphs' catalog reader: reads the system catalog and Citus's metadata,
   * and may ask distrag_meta.secure_table() (which runs as its owner) to secure an exposed table.
   */
  catalog: 'distrag_catalog',
  /** The change feed: REPLICATION (slots, logical decoding), reads and trims the schema-change log. */
  feed: 'distrag_feed',
  /**
   * The RAG subgraph: reads the system catalog, and may ask distrag_meta.ensure_ask_role() (run as
   * its owner) for the login role of a tenant's asks. It reads no table itself.
   */
  rag: 'distrag_rag',
  /** An admin's `ask` without a tenant: SELECT on every exposed table (member of the ask group), every row (BYPASSRLS); reads the catalog for the schema index. */
  askAll: 'distrag_ask_all',
} as const;

/**
 * The NOLOGIN group of the ask path's roles: SELECT on every exposed table, granted per table by
 * distrag_meta.secure_table(). Its members are the per-tenant roles `distrag_t_<tenant>` (made on
 * demand by distrag_meta.ensure_ask_role(), see schema/sql/010_ask_roles.sql) and distrag_ask_all.
 */
export const ASK_GROUP_ROLE = 'distrag_asker';

/** The prefix of a tenant's ask role; the tenant policy reads the tenant from what follows it in session_user. */
export const ASK_ROLE_PREFIX = 'distrag_t_';

interface DbRoleSpec {
  name: string;
  attributes: string;
  /** Granted after the role exists (objects of distrag_meta: the migrations made them). */
  grants: string[];
}

function roleSpecs(client: pg.ClientBase): DbRoleSpec[] {
  const q = (name: string) => client.escapeIdentifier(name);
  const base = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE';
  const { catalog, feed, rag, askAll } = SERVICE_DB_ROLES;
  return [
    { name: ASK_GROUP_ROLE, attributes: 'NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', grants: [] },
    ...(Object.entries(API_DB_ROLES) as Array<[Role, string]>).map(([role, name]) => ({
      name,
      attributes: `${base} NOREPLICATION ${role === 'admin' ? 'BYPASSRLS' : 'NOBYPASSRLS'}`,
      grants: [],
    })),
    {
      name: catalog,
      attributes: `${base} NOREPLICATION NOBYPASSRLS`,
      grants: [
        `GRANT USAGE ON SCHEMA distrag_meta TO ${q(catalog)}`,
        `GRANT SELECT ON distrag_meta.reference_tables TO ${q(catalog)}`,
        `GRANT EXECUTE ON FUNCTION distrag_meta.secure_table(regclass, name) TO ${q(catalog)}`,
      ],
    },
    {
      name: feed,
      attributes: `${base} REPLICATION NOBYPASSRLS`,
      grants: [
        `GRANT USAGE ON SCHEMA distrag_meta TO ${q(feed)}`,
        `GRANT SELECT ON distrag_meta.reference_tables TO ${q(feed)}`,
        `GRANT SELECT, DELETE ON distrag_meta.schema_changes TO ${q(feed)}`,
        `GRANT EXECUTE ON FUNCTION distrag_meta.publish_schema_change(text, text, text) TO ${q(feed)}`,
      ],
    },
    {
      name: rag,
      attributes: `${base} NOREPLICATION NOBYPASSRLS`,
      grants: [
        `GRANT USAGE ON SCHEMA distrag_meta TO ${q(rag)}`,
        `GRANT SELECT ON distrag_meta.reference_tables TO ${q(rag)}`,
        `GRANT EXECUTE ON FUNCTION distrag_meta.ensure_ask_role(text, text) TO ${q(rag)}`,
      ],
    },
    {
      // Also reads the catalog for the RAG subgraph's schema index (tenancy needs the reference registry).
      name: askAll,
      attributes: `${base} NOREPLICATION BYPASSRLS`,
      grants: [`GRANT ${q(ASK_GROUP_ROLE)} TO ${q(askAll)}`, `GRANT USAGE ON SCHEMA distrag_meta TO ${q(askAll)}`, `GRANT SELECT ON distrag_meta.reference_tables TO ${q(askAll)}`],
    },
  ];
}

/** Every role a DistRAG service connects as (API roles and service roles). */
export const ALL_SERVICE_DB_ROLES: readonly string[] = [...Object.values(API_DB_ROLES), ...Object.values(SERVICE_DB_ROLES)];

/** Every API role's connection URL, from the admin URL. */
export function apiRoleUrls(adminUrl: string): Record<Role, string> {
  return { reader: roleUrl(adminUrl, API_DB_ROLES.reader), writer: roleUrl(adminUrl, API_DB_ROLES.writer), admin: roleUrl(adminUrl, API_DB_ROLES.admin) };
}

/**
 * Creates the API and service roles if missing and (re)sets their passwords; grants them the
 * database, the exposed schemas (API roles) and what each service role uses. Table privileges are
 * granted per table when the data subgraph secures it. Under Citus the role DDL propagates to the
 * workers, and pg_dist_authinfo (on every node) gives the nodes the passwords they need to reach
 * each other as these roles. Idempotent; safe to run at every start.
 */
export async function ensureDatabaseRoles(client: pg.ClientBase, options: { adminPassword: string; database: string; schemas: string[]; citus: boolean }): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.api_roles'))`);
    // DistRAG's own housekeeping, not a schema change event (see 005_schema_change_events.sql).
    await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
    const apiRoles = new Set<string>([...Object.values(API_DB_ROLES), ASK_GROUP_ROLE]);
    for (const spec of roleSpecs(client)) {
      const login = spec.name !== ASK_GROUP_ROLE;
      const password = login ? client.escapeLiteral(rolePassword(options.adminPassword, spec.name)) : 'NULL';
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [spec.name]);
      const name = client.escapeIdentifier(spec.name);
      await client.query(`${rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${name} WITH ${spec.attributes} PASSWORD ${password}`);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(options.database)} TO ${name}`);
      if (apiRoles.has(spec.name)) {
        for (const schema of options.schemas) {
          const { rowCount: exists } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
          if (exists) await client.query(`GRANT USAGE ON SCHEMA ${client.escapeIdentifier(schema)} TO ${name}`);
        }
      }
      for (const grant of spec.grants) await client.query(grant);
      if (options.citus && login) {
        for (const command of authinfoCommands(client, spec.name, options.adminPassword)) await client.query(command);
      }
    }
    await client.query('COMMIT');
    // Citus does not sync pg_dist_authinfo: the workers get the rows too (once the roles exist
    // there, i.e. after the commit), so that a statement a worker routes to the other nodes, as
    // the role that runs it, can log in there.
    if (options.citus) {
      for (const dbRole of ALL_SERVICE_DB_ROLES) {
        for (const command of authinfoCommands(client, dbRole, options.adminPassword)) {
          const { rows } = await client.query<{ nodename: string; nodeport: number; success: boolean; result: string }>('SELECT * FROM run_command_on_workers($1)', [command]);
          const failed = rows.find((r) => !r.success);
          if (failed) throw new Error(`could not store ${dbRole}'s credentials on ${failed.nodename}:${failed.nodeport}: ${failed.result}`);
        }
      }
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`could not set up the database roles of the services: ${(error as Error).message}`, { cause: error });
  }
}

/** The statements that give a node a role's password for its connections to the other nodes. */
function authinfoCommands(client: pg.ClientBase, dbRole: string, adminPassword: string): string[] {
  const role = client.escapeLiteral(dbRole);
  const authinfo = client.escapeLiteral(`password=${rolePassword(adminPassword, dbRole)}`);
  return [
    `DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = ${role}`,
    `INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, ${role}, ${authinfo})`,
  ];
}
