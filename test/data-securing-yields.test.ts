import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogTable } from '../subgraphs/data/catalog/catalog-model.js';
import { secureTables, TENANT_POLICY } from '../subgraphs/data/security/secure-tables.js';
import { adminQuery, withAdmin } from './support/database.js';

/**
 * DistRAG secures each new table (row-level security, grants) as soon as it sees it, while users
 * may be running DDL on it. Waiting on a user's lock could end in a deadlock across Citus nodes
 * in which the user's statement is cancelled; instead securing gives way (a short lock_timeout) and
 * the table is secured on a later attempt. The table lives in a schema the data API does not
 * expose, so the running data subgraph leaves it alone and the test drives secureTables itself.
 */
const SCHEMA = 'securing_probe';
const log = pino({ level: 'silent' });

afterAll(async () => {
  await adminQuery(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
});

async function policies(): Promise<number> {
  const [row] = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pg_policy WHERE polrelid = '${SCHEMA}.rooms'::regclass AND polname = $1`, [TENANT_POLICY]);
  return row!.n;
}

describe('securing a table gives way to other transactions', () => {
  it('defers a table another transaction holds a lock on instead of waiting, changes nothing, and secures it once the lock is gone', async () => {
    await adminQuery(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await adminQuery(`CREATE TABLE ${SCHEMA}.rooms (university_id int NOT NULL, room_id int NOT NULL, PRIMARY KEY (university_id, room_id))`);
    const [{ oid } = { oid: 0 }] = await adminQuery<{ oid: number }>(`SELECT '${SCHEMA}.rooms'::regclass::oid::int AS oid`);
    const table = {
      oid,
      qualifiedName: `${SCHEMA}.rooms`,
      tenancy: { kind: 'tenant', column: 'university_id' },
      columns: [{ name: 'university_id' }, { name: 'room_id' }],
    } as unknown as CatalogTable;

    // A user's long transaction reading the table (ACCESS SHARE, as any SELECT takes).
    await withAdmin(async (holder) => {
      await holder.query('BEGIN');
      await holder.query(`SELECT count(*) FROM ${SCHEMA}.rooms`);
      try {
        // Without the lock timeout this would wait for the holder, and the test would time out.
        const outcome = await withAdmin((client) => secureTables(client, [table], log));
        expect(outcome).toEqual({ changed: [], deferred: [`${SCHEMA}.rooms`] });
        expect(await policies()).toBe(0);
        // The holder's transaction was not disturbed.
        expect((await holder.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.rooms`)).rows).toEqual([{ n: 0 }]);
      } finally {
        await holder.query('COMMIT');
      }
    });

    const outcome = await withAdmin((client) => secureTables(client, [table], log));
    expect(outcome).toEqual({ changed: [`${SCHEMA}.rooms`], deferred: [] });
    expect(await policies()).toBe(1);
    // Steady state: nothing left to do, nothing deferred.
    expect(await withAdmin((client) => secureTables(client, [table], log))).toEqual({ changed: [], deferred: [] });
  });
});
