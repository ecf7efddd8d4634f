import pg from 'pg';

/**
 * A row written on a node just before its base backup, which the scheduled restore test must find
 * in the restored copy. It lives in a node-local schema of its own (not exposed, not distributed:
 * Citus DDL propagation off; the schema-change trigger told it is internal).
 */
export async function writeBackupMarker(nodeAdminUrl: string, note: string): Promise<void> {
  const client = new pg.Client({ connectionString: nodeAdminUrl, application_name: 'distrag-backup', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL citus.enable_ddl_propagation TO off`);
    await client.query(`SET LOCAL distrag.internal_ddl = 'on'`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS distrag_backup`);
    await client.query(`CREATE TABLE IF NOT EXISTS distrag_backup.markers (note text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`DELETE FROM distrag_backup.markers WHERE at < now() - interval '30 days'`);
    await client.query(`INSERT INTO distrag_backup.markers (note) VALUES ($1) ON CONFLICT DO NOTHING`, [note]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const MARKER_QUERY = `SELECT count(*)::int AS found FROM distrag_backup.markers WHERE note = $1`;
