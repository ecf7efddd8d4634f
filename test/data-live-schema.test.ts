import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery, gql, gqlData, gqlErrorCode } from './support/database.js';

/**
 * DDL reaches the API without a restart: the data subgraph rebuilds its schema from the catalog
 * (securing new tables first) and the gateway switches to a recomposed supergraph.
 */

const TABLES = ['live_notes', 'live_types', 'live_shared', 'live_churn', 'cluster'];
afterAll(async () => {
  for (const table of TABLES) await adminQuery(`DROP TABLE IF EXISTS ${table} CASCADE`);
  await adminQuery('DROP TYPE IF EXISTS live_mood');
});

/**
 * Polls until `query` answers without errors through the gateway. The test stack's catalog poll is
 * 10 min (global-stack.ts), longer than the suite: what is served within this timeout, the schema
 * events served. How fast is measured by `npx distrag bench events`, not here.
 */
async function waitUntilServed(query: string, role: 'reader' | 'writer' | 'admin' = 'admin', tenant: string | null = null): Promise<void> {
  await expect
    .poll(async () => (await gql(role, tenant, query)).errors?.[0]?.message ?? 'ok', { timeout: 15_000, interval: 100 })
    .toBe('ok');
}

describe('live schema', () => {
  it('serves a table created by DDL, driven by its event (no restart, no poll), already tenant-isolated', async () => {
    await adminQuery('CREATE TABLE live_notes (university_id integer NOT NULL, note_id integer NOT NULL, body text NOT NULL, PRIMARY KEY (university_id, note_id))');
    await waitUntilServed('{ liveNotes { noteId body } }');

    const insert = await gqlData<{ insertLiveNotes: { returning: Array<{ universityId: number }> } }>(
      'writer', '1', 'mutation { insertLiveNotes(objects: [{ noteId: 1, body: "tenant one" }]) { returning { universityId } } }',
    );
    expect(insert.insertLiveNotes.returning).toEqual([{ universityId: 1 }]);
    expect(await gqlData('reader', '2', '{ liveNotes { body } }')).toEqual({ liveNotes: [] });
    expect(await gqlData('reader', '1', '{ liveNotes { body } }')).toEqual({ liveNotes: [{ body: 'tenant one' }] });
    const [policy] = await adminQuery<{ rls: boolean; forced: boolean }>(`SELECT relrowsecurity AS rls, relforcerowsecurity AS forced FROM pg_class WHERE relname = 'live_notes'`);
    expect(policy).toEqual({ rls: true, forced: true });
  });

  it('serves a column added by ALTER TABLE, with a PostgreSQL enum as a GraphQL enum', async () => {
    await adminQuery(`CREATE TYPE live_mood AS ENUM ('happy', 'so-so', 'sad')`);
    await adminQuery('ALTER TABLE live_notes ADD COLUMN mood live_mood');
    await waitUntilServed('{ liveNotes { mood } }');
    await adminQuery(`UPDATE live_notes SET mood = 'so-so'`);
    expect(await gqlData('reader', '1', '{ liveNotes(where: { mood: { eq: SO_SO } }) { mood } }')).toEqual({ liveNotes: [{ mood: 'SO_SO' }] });
    expect(await gqlData('writer', '1', 'mutation { updateLiveNotes(where: {}, set: { mood: happy }) { returning { mood } } }')).toEqual({ updateLiveNotes: { returning: [{ mood: 'happy' }] } });
  });

  it('stops serving a dropped table', async () => {
    await adminQuery('CREATE TABLE live_churn (id integer PRIMARY KEY)');
    await waitUntilServed('{ liveChurn { id } }');
    await adminQuery('DROP TABLE live_churn');
    await expect.poll(async () => (await gql('admin', null, '{ liveChurn { id } }')).errors?.[0]?.extensions?.code, { timeout: 15_000, interval: 100 }).toBe('BAD_USER_INPUT');
  });

  it('fails no request that is running while the schema changes', async () => {
    let stop = false;
    const failures: string[] = [];
    let served = 0;
    const loop = async () => {
      while (!stop) {
        const body = await gql('reader', '1', '{ students(limit: 5) { studentId department { name } } universities { name } }');
        if (body.errors) failures.push(JSON.stringify(body.errors));
        else served += 1;
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await adminQuery('CREATE TABLE live_churn (id integer PRIMARY KEY, label text)');
    await waitUntilServed('{ liveChurn { id label } }');
    await adminQuery('ALTER TABLE live_churn ADD COLUMN extra integer');
    await waitUntilServed('{ liveChurn { extra } }');
    await adminQuery('DROP TABLE live_churn');
    await expect.poll(async () => (await gql('admin', null, '{ liveChurn { id } }')).errors?.length ?? 0, { timeout: 15_000, interval: 100 }).toBeGreaterThan(0);
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(20);
  });

  it('maps column types faithfully: int8 and numeric exact, ISO timestamps, JSON, arrays, and odd column names quoted', async () => {
    await adminQuery(`CREATE TABLE live_types (
      id bigint PRIMARY KEY, amount numeric(30, 9), happened_at timestamptz, local_at timestamp, day date, doc jsonb, raw json,
      tags text[], scores integer[], flag boolean, ratio double precision, token uuid, span interval,
      "Weird Name!" text, "x""; DROP TABLE students; --" text)`);
    await adminQuery(`INSERT INTO live_types VALUES (9007199254740993, 12345678901234567890.123456789, '2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05', '2024-02-29',
      '{"a": [1, 2, {"b": null}]}', '{"raw": true}', ARRAY['x', 'y'], ARRAY[1, NULL, 3], true, 0.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:00:00', 'odd', 'hostile')`);
    await waitUntilServed('{ liveTypes { id } }');
    const data = await gqlData<{ liveTypes: unknown[] }>('admin', null, '{ liveTypes { id amount happenedAt localAt day doc raw tags scores flag ratio token span weirdName xDropTableStudents } }');
    expect(data.liveTypes).toEqual([
      {
        id: '9007199254740993',
        amount: '12345678901234567890.123456789',
        happenedAt: '2024-01-02T03:04:05.123456+00:00',
        localAt: '2024-01-02T03:04:05',
        day: '2024-02-29',
        doc: { a: [1, 2, { b: null }] },
        raw: { raw: true },
        tags: ['x', 'y'],
        scores: [1, null, 3],
        flag: true,
        ratio: 0.5,
        token: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        span: '1 day 02:00:00',
        weirdName: 'odd',
        xDropTableStudents: 'hostile',
      },
    ]);
    // Exact values survive the way in, too, and filters work on them.
    await gqlData('admin', null, 'mutation { insertLiveTypes(objects: [{ id: "9223372036854775807", amount: "0.000000001", doc: { k: "v" }, tags: ["it\'s"], span: "3 hours" }]) { affectedRows } }');
    const [row] = await adminQuery<{ id: string; amount: string; doc: unknown; tags: string[]; span: string }>(`SELECT id::text, amount::text, doc, tags, span::text FROM live_types WHERE id = 9223372036854775807`);
    expect(row).toEqual({ id: '9223372036854775807', amount: '0.000000001', doc: { k: 'v' }, tags: ["it's"], span: '03:00:00' });
    expect(await gqlData('admin', null, '{ liveTypes(where: { doc: { contains: { k: "v" } }, tags: { contains: ["it\'s"] } }) { id } }')).toEqual({ liveTypes: [{ id: '9223372036854775807' }] });
    // sum(int8) is numeric: past the int8 range without overflow or rounding.
    expect(await gqlData('admin', null, '{ liveTypesAggregate { sum { id } max { amount happenedAt } } }')).toEqual({
      liveTypesAggregate: { sum: { id: '9232379236109516800' }, max: { amount: '12345678901234567890.123456789', happenedAt: '2024-01-02T03:04:05.123456+00:00' } },
    });
  });

  it('serves a table marked as a reference table to every tenant, writable by admins only', async () => {
    await adminQuery('CREATE TABLE live_shared (university_id integer, code text PRIMARY KEY)');
    await adminQuery(`INSERT INTO live_shared VALUES (1, 'one'), (2, 'two')`);
    const mark = inject('stack').info.mode === 'CITUS' ? `SELECT create_reference_table('live_shared')` : `SELECT distrag_meta.create_reference_table('live_shared')`;
    await adminQuery(mark);
    await expect
      .poll(async () => ((await gql('reader', '1', '{ liveShared { code } }')).data?.liveShared as unknown[] | undefined)?.length, { timeout: 15_000, interval: 100 })
      .toBe(2);
    expect((await gqlErrorCode('writer', '1', 'mutation { deleteLiveShared(where: {}) { affectedRows } }')).code).toBe('FORBIDDEN');
  });

  it('leaves out a table whose names another subgraph already uses, instead of breaking the supergraph', async () => {
    await adminQuery('CREATE TABLE cluster (id integer PRIMARY KEY)');
    await expect
      .poll(async () => {
        const data = await gqlData<{ dataCatalog: { skipped: Array<{ name: string; reason: string }> } }>('admin', null, '{ dataCatalog { skipped { name reason } } }');
        return data.dataCatalog.skipped.find((s) => s.name === 'public.cluster')?.reason;
      }, { timeout: 15_000, interval: 100 })
      .toMatch(/already taken/);
    expect(await gqlData('admin', null, '{ cluster { mode } }')).toEqual({ cluster: { mode: inject('stack').info.mode } });
  });
});
