import pg from 'pg';
import { DATABASE_NAME } from '../../stack/postgres-node.js';

/**
 * Creates the DistRAG database on a node if missing, and the citus extension in it when asked.
 * Returns the citus extension's version in the database (null without Citus).
 */
export async function ensureDatabase(maintenanceUrl: string, databaseUrl: string, citus: boolean): Promise<string | null> {
  const admin = new pg.Client({ connectionString: maintenanceUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  if (!citus) return null;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS citus');
    const { rows } = await client.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'citus'`);
    return rows[0]?.extversion ?? null;
  } finally {
    await client.end();
  }
}
