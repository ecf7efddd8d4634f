import type pg from 'pg';
import { NODE_EVENT_TRIGGERS_FILE, readSqlFile } from './migrations.js';

const TRIGGERS = ['distrag_ddl_command_end', 'distrag_sql_drop'];

/**
 * Gives a Citus worker the event triggers that report Citus's shard DDL to the change feed
 * (a `distrag.citus_shards` logical-decoding message): Citus does not propagate event triggers,
 * and a worker added later has none. Applied by `up` (admin role) with DDL propagation off, only when missing.
 */
export async function ensureWorkerEventTriggers(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ present: number; functions: boolean }>(
    `SELECT (SELECT count(*)::int FROM pg_event_trigger WHERE evtname = ANY($1::text[])) AS present,
            to_regprocedure('distrag_meta.on_ddl_command_end()') IS NOT NULL
              AND to_regprocedure('distrag_meta.skips_ddl_event(text, oid[], text[])') IS NOT NULL AS functions`,
    [TRIGGERS],
  );
  if (rows[0]?.present === TRIGGERS.length && rows[0].functions) return false;
  const statements = await readSqlFile(NODE_EVENT_TRIGGERS_FILE);
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL citus.enable_ddl_propagation TO off');
    await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
    await client.query('CREATE SCHEMA IF NOT EXISTS distrag_meta');
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return true;
}
