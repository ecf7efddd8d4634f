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
 * Each API role's password, derived from the admin password: whoever can bootstrap the database
 * can compute them, and no further secret has to be stored or handed to the services.
 */
export function apiRolePassword(adminPassword: string, dbRole: string): string {
  return createHmac('sha256', adminPassword).update(`distrag-api-role:${dbRole}`).digest('base64url');
}

/** The connection URL of an API role, from the admin URL (same host, port and database). */
export function apiRoleUrl(adminUrl: string, dbRole: string): string {
  const url = new URL(adminUrl);
  url.password = encodeURIComponent(apiRolePassword(decodeURIComponent(url.password), dbRole));
  url.username = dbRole;
  return url.toString();
}

/**
 * Creates the API roles if missing and (re)sets their passwords; grants them the database and the
 * exposed schemas. Table privileges are granted per table when the data subgraph secures it. Under
 * Citus the role DDL propagates to the workers, and pg_dist_authinfo (on every node) gives the
 * nodes the passwords they need to reach each other as these roles. Idempotent; safe to run at every start.
 */
export async function ensureApiRoles(client: pg.ClientBase, options: { adminPassword: string; database: string; schemas: string[]; citus: boolean }): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.api_roles'))`);
    // DistRAG's own housekeeping, not a schema change event (see 005_schema_change_events.sql).
    await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
    for (const [role, dbRole] of Object.entries(API_DB_ROLES) as Array<[Role, string]>) {
      const password = client.escapeLiteral(apiRolePassword(options.adminPassword, dbRole));
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ${role === 'admin' ? 'BYPASSRLS' : 'NOBYPASSRLS'}`;
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [dbRole]);
      const name = client.escapeIdentifier(dbRole);
      await client.query(`${rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${name} WITH ${attributes} PASSWORD ${password}`);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(options.database)} TO ${name}`);
      for (const schema of options.schemas) {
        const { rowCount: exists } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (exists) await client.query(`GRANT USAGE ON SCHEMA ${client.escapeIdentifier(schema)} TO ${name}`);
      }
      if (options.citus) {
        for (const command of authinfoCommands(client, dbRole, options.adminPassword)) await client.query(command);
      }
    }
    await client.query('COMMIT');
    // Citus does not sync pg_dist_authinfo: the workers get the rows too (once the roles exist
    // there, i.e. after the commit), so that a statement a worker routes to the other nodes, as
    // the role that runs it, can log in there.
    if (options.citus) {
      for (const dbRole of Object.values(API_DB_ROLES)) {
        for (const command of authinfoCommands(client, dbRole, options.adminPassword)) {
          const { rows } = await client.query<{ nodename: string; nodeport: number; success: boolean; result: string }>('SELECT * FROM run_command_on_workers($1)', [command]);
          const failed = rows.find((r) => !r.success);
          if (failed) throw new Error(`could not store ${dbRole}'s credentials on ${failed.nodename}:${failed.nodeport}: ${failed.result}`);
        }
      }
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`could not set up the API database roles: ${(error as Error).message}`, { cause: error });
  }
}

/** The statements that give a node a role's password for its connections to the other nodes. */
function authinfoCommands(client: pg.ClientBase, dbRole: string, adminPassword: string): string[] {
  const role = client.escapeLiteral(dbRole);
  const authinfo = client.escapeLiteral(`password=${apiRolePassword(adminPassword, dbRole)}`);
  return [
    `DELETE FROM pg_dist_authinfo WHERE nodeid = 0 AND rolename = ${role}`,
    `INSERT INTO pg_dist_authinfo (nodeid, rolename, authinfo) VALUES (0, ${role}, ${authinfo})`,
  ];
}
