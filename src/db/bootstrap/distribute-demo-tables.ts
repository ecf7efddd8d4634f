import type pg from 'pg';

/** Tenant tables in co-location order: the first creates the group, the rest join it. */
export const TENANT_TABLES = ['departments', 'students', 'courses', 'enrollments'] as const;
export const REFERENCE_TABLES = ['universities'] as const;
export const DISTRIBUTION_COLUMN = 'university_id';

/**
 * Under Citus: `universities` becomes a reference table, the tenant tables are distributed by
 * university_id and co-located. Skips tables already in pg_dist_partition, so it can re-run.
 */
export async function distributeDemoTables(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ name: string }>(`SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition`);
  const done = new Set(rows.map((r) => r.name));
  for (const table of REFERENCE_TABLES) {
    if (!done.has(table)) await client.query('SELECT create_reference_table($1)', [table]);
  }
  const [first] = TENANT_TABLES;
  for (const table of TENANT_TABLES) {
    if (done.has(table)) continue;
    await client.query('SELECT create_distributed_table($1, $2, colocate_with => $3)', [
      table,
      DISTRIBUTION_COLUMN,
      table === first ? 'default' : first,
    ]);
  }
}
