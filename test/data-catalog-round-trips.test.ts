import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readCatalog, readRowEstimates } from '../subgraphs/data/catalog/read-catalog.js';
import { adminQuery } from './support/database.js';
import { onCitus } from './support/citus.js';

/**
 * Reading the catalog (every live-schema change does) costs the same number of round trips
 * whatever the number of tables: under Citus the shards' row estimates come from one fan-out to
 * all nodes, not one run_command_on_shards per table.
 */
const TABLES = Array.from({ length: 6 }, (_, i) => `catalog_trips_${i}`);
afterAll(async () => {
  await adminQuery(`DROP TABLE IF EXISTS ${TABLES.join(', ')}`);
});

async function countQueries<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<{ result: T; queries: number }> {
  const client = new pg.Client({ connectionString: inject('stack').info.urls.postgres });
  await client.connect();
  let queries = 0;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    queries++;
    return query(...args);
  };
  try {
    return { result: await fn(client), queries };
  } finally {
    await client.end();
  }
}

describe('catalog reads', () => {
  it('take the same number of round trips for 6 more tables, with row estimates summed over the shards', async () => {
    const options = { schemas: ['public'], tenantColumn: 'university_id' };
    const before = await countQueries((c) => readCatalog(c, options));
    for (const table of TABLES) {
      await adminQuery(`CREATE TABLE ${table} (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))`);
      if (onCitus()) await adminQuery(`SELECT create_distributed_table($1, 'university_id', colocate_with => 'students')`, [table]);
    }
    const after = await countQueries((c) => readCatalog(c, options));
    expect(after.result.tables.length).toBe(before.result.tables.length + TABLES.length);
    expect(after.queries).toBe(before.queries);

    await adminQuery('ANALYZE students');
    const students = after.result.tables.find((t) => t.name === 'students')!;
    const { result: estimates, queries } = await countQueries((c) => readRowEstimates(c, after.result.tables));
    const [{ n }] = (await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM students')) as [{ n: number }];
    expect(estimates.get(students.oid)).toBe(n);
    expect(queries).toBeLessThanOrEqual(4);
  });
});
