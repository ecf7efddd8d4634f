import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { schemaDir } from '../../paths.js';
import { splitStatements } from '../split-statements.js';
import { distributeDemoTables } from './distribute-demo-tables.js';

export type ClusterMode = 'SINGLE' | 'CITUS';

interface Migration {
  version: number;
  name: string;
  /** A file under schema/sql, or a step that needs code (Citus calls). */
  apply: { sqlFile: string } | { run: (client: pg.ClientBase, mode: ClusterMode) => Promise<void> };
}

/**
 * The event-trigger functions every node runs (the coordinator's migration; the change feed
 * installs the same file on each Citus worker, where event triggers are not propagated).
 */
export const NODE_EVENT_TRIGGERS_FILE = '007_citus_aware_ddl_events.sql';

/** The database schema, in order. Never edit an applied step: add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'demo tables', apply: { sqlFile: '001_demo_tables.sql' } },
  {
    version: 2,
    name: 'distribute demo tables (Citus only)',
    apply: { run: async (client, mode) => (mode === 'CITUS' ? distributeDemoTables(client) : undefined) },
  },
  { version: 3, name: 'demo foreign keys and indexes', apply: { sqlFile: '003_demo_foreign_keys.sql' } },
  { version: 4, name: 'tenancy registry, pg_stat_statements', apply: { sqlFile: '004_tenancy_registry.sql' } },
  { version: 5, name: 'schema change events', apply: { sqlFile: '005_schema_change_events.sql' } },
  { version: 6, name: 'reference-table registration is a schema event', apply: { sqlFile: '006_reference_table_event.sql' } },
  { version: 7, name: 'schema change events that know Citus shards', apply: { sqlFile: NODE_EVENT_TRIGGERS_FILE } },
  { version: 8, name: 'schema change versions in commit order', apply: { sqlFile: '008_schema_change_commit_order.sql' } },
  { version: 9, name: 'least privilege: owner-run functions for the service roles', apply: { sqlFile: '009_least_privilege.sql' } },
  { version: 10, name: 'per-tenant ask roles: the tenant policy reads them from session_user', apply: { sqlFile: '010_ask_roles.sql' } },
];

/** A file of schema/sql as its statements, one per query. */
export async function readSqlFile(name: string): Promise<string[]> {
  return splitStatements(fs.readFileSync(path.join(schemaDir, 'sql', name), 'utf8'));
}

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Applies the migrations not yet recorded in distrag_meta.schema_migrations, each in its own
 * transaction, under an advisory lock so concurrent starts cannot race. Returns the versions applied.
 */
export async function migrate(client: pg.ClientBase, mode: ClusterMode): Promise<number[]> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS distrag_meta`);
  await client.query(`CREATE TABLE IF NOT EXISTS distrag_meta.schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('distrag_meta.migrate'))`);
      const { rowCount } = await client.query('SELECT 1 FROM distrag_meta.schema_migrations WHERE version = $1', [migration.version]);
      if (rowCount === 0) {
        if ('sqlFile' in migration.apply) {
          // One statement per query: Citus forwards a DDL statement's whole query string to the workers.
          for (const statement of await readSqlFile(migration.apply.sqlFile)) await client.query(statement);
        } else await migration.apply.run(client, mode);
        await client.query('INSERT INTO distrag_meta.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        applied.push(migration.version);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`schema migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
    }
  }
  const { rows } = await client.query<{ max: number | null }>('SELECT max(version) AS max FROM distrag_meta.schema_migrations');
  if ((rows[0]?.max ?? 0) > SCHEMA_VERSION) {
    throw new Error(`the database is at schema version ${rows[0]?.max}, newer than this DistRAG (${SCHEMA_VERSION}); upgrade DistRAG or use another DISTRAG_HOME`);
  }
  return applied;
}
