import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, gql, gqlData, gqlErrorCode } from './support/database.js';
import { lastEventId, subscribe } from './support/subscriptions.js';

/** The semantic cache through the gateway (CONTRACT §5 "Cache subgraph"), on the shared stack. */

const STORE = `mutation ($q: String!, $sql: String!, $answer: String, $tenant: ID) {
  storeCacheEntry(question: $q, sql: $sql, answer: $answer, tenant: $tenant) { id tenant question sql tables answer hits }
}`;
const LOOKUP = `query ($q: String!, $tenant: ID) {
  cacheLookup(question: $q, tenant: $tenant) { cached similarity sql params reason embedMs lookupMs entry { id tenant question } }
}`;
const ENTRIES = 'query ($tenant: ID) { cacheEntries(tenant: $tenant, limit: 100) { id tenant question tables } }';

interface Lookup {
  cacheLookup: { cached: string; similarity: number | null; sql: string | null; params: string[]; reason: string | null; entry: { id: string; tenant: string | null; question: string } | null };
}

const store = (tenant: string, q: string, sql: string, answer?: string) => gqlData<{ storeCacheEntry: { id: string; tables: string[] } }>('admin', null, STORE, { q, sql, tenant, answer });
const lookup = (tenant: string, q: string) => gqlData<Lookup>('reader', tenant, LOOKUP, { q }).then((d) => d.cacheLookup);
const entries = (tenant: string) => gqlData<{ cacheEntries: Array<{ id: string; question: string; tables: string[] }> }>('reader', tenant, ENTRIES).then((d) => d.cacheEntries);

beforeAll(async () => {
  await adminQuery('CREATE TABLE IF NOT EXISTS cache_probe_a (university_id integer NOT NULL, id integer NOT NULL, note text, PRIMARY KEY (university_id, id))');
  await adminQuery('CREATE TABLE IF NOT EXISTS cache_probe_b (university_id integer NOT NULL, id integer NOT NULL, note text, PRIMARY KEY (university_id, id))');
  await adminQuery('INSERT INTO cache_probe_a VALUES (101, 1, $1), (102, 1, $1) ON CONFLICT DO NOTHING', ['x']);
  await gqlData('admin', null, 'mutation { flushCache }');
});
afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS cache_probe_a');
  await adminQuery('DROP TABLE IF EXISTS cache_probe_b');
  await gqlData('admin', null, 'mutation { flushCache }');
});

describe('cache subgraph', () => {
  it('reports itself enabled with the local embedder, and counts lookups', async () => {
    await store('ca', 'How many students are there?', 'SELECT count(*) FROM students', '{"rows":[[42]]}');
    expect((await lookup('ca', 'How many students do we have?')).cached).toBe('HIT');
    expect((await lookup('ca', 'Which courses have no enrollments?')).cached).toBe('MISS');
    const { cacheStats } = await gqlData<{ cacheStats: Record<string, unknown> }>('reader', 'ca', '{ cacheStats { tenant enabled disabledReason embedder entries hits misses hitRate lookupP50Ms lookupP99Ms policy { threshold maxEntries ttlSeconds rebind literalGuard } } }');
    expect(cacheStats).toMatchObject({ tenant: 'ca', enabled: true, disabledReason: null, embedder: 'local:all-MiniLM-L6-v2:int8', entries: 1, hits: 1, misses: 1, hitRate: 0.5, policy: { rebind: true, literalGuard: true } });
    expect(cacheStats.lookupP50Ms).toBeGreaterThanOrEqual(0);
  });

  it('never answers one tenant from another tenant’s entry', async () => {
    await store('cb', 'List the names of all departments', 'SELECT name FROM departments');
    expect((await lookup('cb', 'List the names of all departments')).cached).toBe('HIT');
    expect((await lookup('cc', 'List the names of all departments')).cached).toBe('MISS');
    expect((await entries('cc')).map((e) => e.question)).not.toContain('List the names of all departments');
    expect((await gqlErrorCode('reader', 'cc', LOOKUP, { q: 'List the names of all departments', tenant: 'cb' })).code).toBe('FORBIDDEN');
    expect((await gqlErrorCode('reader', 'cc', ENTRIES, { tenant: 'cb' })).code).toBe('FORBIDDEN');
    // Admins see every tenant's counters.
    const { cacheStats } = await gqlData<{ cacheStats: { tenant: string | null; entries: number } }>('admin', null, '{ cacheStats { tenant entries } }');
    expect(cacheStats.tenant).toBeNull();
    expect(cacheStats.entries).toBeGreaterThanOrEqual(2);
  });

  it('turns down a near question with another literal, and re-binds it when the SQL uses the literal verbatim', async () => {
    // A low threshold makes the negated question below a candidate: the guard must turn it down.
    await gqlData('admin', null, 'mutation { setCachePolicy(tenant: "cd", threshold: 0.6) { threshold } }');
    await store('cd', 'What are the ids of students named "Ann"?', "SELECT student_id FROM students WHERE name = 'Ann'");
    const swapped = await lookup('cd', 'What are the ids of students named "Bob"?');
    expect(swapped).toMatchObject({ cached: 'REBOUND', sql: 'SELECT student_id FROM students WHERE name = $1', params: ['Bob'] });
    // A hostile value is a bound parameter, never SQL text.
    const hostile = await lookup('cd', `What are the ids of students named "x'); DROP TABLE students; --"?`);
    expect(hostile).toMatchObject({ cached: 'REBOUND', sql: 'SELECT student_id FROM students WHERE name = $1', params: ["x'); DROP TABLE students; --"] });
    // Negation changes the meaning: not a hit, however close the vectors.
    const negated = await lookup('cd', 'What are the ids of students not named "Ann"?');
    expect(negated.cached).toBe('MISS');
    expect(negated.reason).toMatch(/neg/);
    // With rebinding off for the tenant, the swapped literal is a miss.
    await gqlData('admin', null, 'mutation { setCachePolicy(tenant: "cd", rebind: false) { rebind } }');
    const refused = await lookup('cd', 'What are the ids of students named "Bob"?');
    expect(refused.cached).toBe('MISS');
    expect(refused.reason).toMatch(/Bob|Ann/);
  });

  it('refuses bad questions and bad entries with a clear error, storing nothing', async () => {
    const before = (await entries('ce')).length;
    for (const q of ['', '   ', 'x'.repeat(100_000), 'How many\u0000 students?', 'How many students\u202e?']) {
      expect((await gqlErrorCode('reader', 'ce', LOOKUP, { q })).code).toBe('BAD_USER_INPUT');
      expect((await gqlErrorCode('admin', null, STORE, { q, sql: 'SELECT 1', tenant: 'ce' })).code).toBe('BAD_USER_INPUT');
    }
    for (const sql of ['DELETE FROM students', 'SELECT 1; SELECT 2', 'SELECT * FROM students WHERE id = $1', 'SELEC oops']) {
      const { code, message } = await gqlErrorCode('admin', null, STORE, { q: 'How many students?', sql, tenant: 'ce' });
      expect(code).toBe('BAD_USER_INPUT');
      expect(message).toMatch(/SQL/);
    }
    expect((await entries('ce')).length).toBe(before);
    expect((await gqlErrorCode('writer', 'ce', STORE, { q: 'How many students?', sql: 'SELECT 1', tenant: 'ce' })).code).toBe('FORBIDDEN');
    expect((await gqlErrorCode('writer', 'ce', 'mutation { setCachePolicy(tenant: "ce", threshold: 0.9) { threshold } }')).code).toBe('FORBIDDEN');
    const bad = await gqlErrorCode('admin', null, 'mutation { setCachePolicy(tenant: "ce", threshold: 2, maxEntries: 0) { threshold } }');
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/threshold.*maxEntries/);
    expect((await gqlErrorCode('reader', 'ce', 'mutation { flushCache }')).code).toBe('FORBIDDEN');
    expect((await gqlErrorCode('writer', 'ce', 'mutation { flushCache(tenant: "cf") }')).code).toBe('FORBIDDEN');
  });

  it('a write in plain SQL removes that tenant’s entries reading the table, and nothing else', async () => {
    const a101 = await store('101', 'How many notes does probe a hold?', 'SELECT count(*) FROM cache_probe_a');
    const b101 = await store('101', 'How many notes does probe b hold?', 'SELECT count(*) FROM cache_probe_b');
    const a102 = await store('102', 'How many notes does probe a hold?', 'SELECT count(*) FROM cache_probe_a');
    expect(a101.storeCacheEntry.tables).toEqual(['public.cache_probe_a']);
    const sub = await subscribe<{ cacheInvalidated: { tenant: string | null; entriesRemoved: number; reason: string } }>(
      'subscription ($after: ID) { cacheInvalidated(after: $after) { tenant reason entriesRemoved } }',
      { role: 'admin', variables: { after: await lastEventId('cache') } },
    );
    try {
      await adminQuery("UPDATE cache_probe_a SET note = 'changed' WHERE university_id = 101");
      const event = await sub.waitFor((e) => e.cacheInvalidated.tenant === '101');
      expect(event.cacheInvalidated.entriesRemoved).toBe(1);
      expect(event.cacheInvalidated.reason).toMatch(/cache_probe_a/);
    } finally {
      await sub.close();
    }
    const left101 = (await entries('101')).map((e) => e.id);
    expect(left101).not.toContain(a101.storeCacheEntry.id);
    expect(left101).toContain(b101.storeCacheEntry.id);
    expect((await entries('102')).map((e) => e.id)).toContain(a102.storeCacheEntry.id);
  });

  it('DDL on a table removes every tenant’s entries that read it', async () => {
    const b101 = await store('101', 'How many notes does probe b hold?', 'SELECT count(*) FROM cache_probe_b');
    const b102 = await store('102', 'How many notes does probe b hold?', 'SELECT count(*) FROM cache_probe_b');
    const a102 = await store('102', 'How many notes does probe a hold?', 'SELECT count(*) FROM cache_probe_a');
    await adminQuery('ALTER TABLE cache_probe_b ADD COLUMN extra integer');
    await expect.poll(async () => [...(await entries('101')), ...(await entries('102'))].map((e) => e.id), { timeout: 15_000 }).not.toContain(b101.storeCacheEntry.id);
    const left = [...(await entries('101')), ...(await entries('102'))].map((e) => e.id);
    expect(left).not.toContain(b102.storeCacheEntry.id);
    expect(left).toContain(a102.storeCacheEntry.id);
  });

  it('flushCache: writers flush their own tenant, admins any or all', async () => {
    await store('cg', 'How many courses are there?', 'SELECT count(*) FROM courses');
    await store('ch', 'How many courses are there?', 'SELECT count(*) FROM courses');
    expect((await gqlData<{ flushCache: number }>('writer', 'cg', 'mutation { flushCache }')).flushCache).toBe(1);
    expect(await entries('cg')).toEqual([]);
    expect((await entries('ch')).length).toBe(1);
    const all = await gql('admin', null, 'mutation { flushCache }');
    expect((all.data as { flushCache: number }).flushCache).toBeGreaterThanOrEqual(1);
    expect(await entries('ch')).toEqual([]);
  });
});
