import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery, eventually, gql, served } from './support/database.js';
import { lastEventId, subscribe } from './support/subscriptions.js';

interface SchemaChanged {
  schemaChanged: { id: string; commandTag: string; objectType: string; objectIdentity: string; version: number | null; resync: boolean };
}

const QUERY = 'subscription ($after: ID) { schemaChanged(after: $after) { id commandTag objectType objectIdentity version resync } }';
/** The newest schema event id before the first test's DDL: the replay test replays from it. */
let beforeFirstTest = '0-0';

afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS events_ddl_probe, events_ddl_second, events_ddl_slow, events_ddl_quick, events_ddl_marker');
});

describe('schemaChanged', () => {
  it('gives one event per DDL command: create, alter, drop table, create and drop index', async () => {
    beforeFirstTest = await lastEventId('schema');
    const sub = await subscribe<SchemaChanged>(QUERY, { role: 'reader', tenant: '1', variables: { after: beforeFirstTest } });
    try {
      const commands: Array<[string, string, string]> = [
        ['CREATE TABLE events_ddl_probe (university_id integer NOT NULL, id serial, note text, PRIMARY KEY (university_id, id))', 'CREATE TABLE', 'public.events_ddl_probe'],
        ['ALTER TABLE events_ddl_probe ADD COLUMN extra integer', 'ALTER TABLE', 'public.events_ddl_probe'],
        ['CREATE INDEX events_ddl_probe_note_idx ON events_ddl_probe (note)', 'CREATE INDEX', 'public.events_ddl_probe_note_idx'],
        ['DROP INDEX events_ddl_probe_note_idx', 'DROP INDEX', 'public.events_ddl_probe_note_idx'],
        ['DROP TABLE events_ddl_probe', 'DROP TABLE', 'public.events_ddl_probe'],
      ];
      for (const [sql] of commands) await adminQuery(sql);
      await sub.waitFor((e) => e.schemaChanged.commandTag === 'DROP TABLE' && e.schemaChanged.objectIdentity === 'public.events_ddl_probe');
      // DistRAG's own DDL (securing a table it saw created: row-level security, its policy, grants)
      // must not be recorded. A table is secured before the API serves it, so once a marker table
      // is served, its securing is done; DDL recorded after that (dropping the marker) arrives
      // after anything the securing recorded.
      await adminQuery('CREATE TABLE events_ddl_marker (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))');
      await eventually(() => served('{ eventsDdlMarker { id } }'), 15_000, 'events_ddl_marker in the API');
      await adminQuery('DROP TABLE events_ddl_marker');
      await sub.waitFor((e) => e.schemaChanged.commandTag === 'DROP TABLE' && e.schemaChanged.objectIdentity === 'public.events_ddl_marker');
      const recorded = (name: string) => sub.received.map((e) => [e.schemaChanged.commandTag, e.schemaChanged.objectIdentity]).filter(([, identity]) => identity!.includes(name));
      expect(recorded('events_ddl_probe')).toEqual(commands.map(([, tag, identity]) => [tag, identity]));
      expect(recorded('events_ddl_marker')).toEqual([['CREATE TABLE', 'public.events_ddl_marker'], ['DROP TABLE', 'public.events_ddl_marker']]);
      // The API no longer serves the marker: its schema work is done before the next test times its own.
      await eventually(async () => !(await served('{ eventsDdlMarker { id } }')), 15_000, 'events_ddl_marker gone from the API');
      const versions = sub.received.map((e) => e.schemaChanged.version!);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions);
      expect(sub.errors).toEqual([]);
    } finally {
      await sub.close();
    }
  });

  it('publishes a DDL transaction that commits after a later-started one (versions follow commit order)', async () => {
    const sub = await subscribe<SchemaChanged>(QUERY, { variables: { after: await lastEventId('schema') } });
    const slow = new pg.Client({ connectionString: inject('stack').info.urls.postgres });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('CREATE TABLE events_ddl_slow (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))');
      await adminQuery('CREATE TABLE events_ddl_quick (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))');
      await sub.waitFor((e) => e.schemaChanged.objectIdentity === 'public.events_ddl_quick');
      await slow.query('COMMIT');
      await sub.waitFor((e) => e.schemaChanged.objectIdentity === 'public.events_ddl_slow');
      const versions = sub.received.map((e) => e.schemaChanged.version!);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    } finally {
      await slow.query('ROLLBACK').catch(() => undefined);
      await slow.end();
      await sub.close();
    }
  });

  it('makes the new table queryable through the gateway promptly, driven by the event', async () => {
    await adminQuery('CREATE TABLE events_ddl_second (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))');
    // The test stack's catalog poll (DISTRAG_SCHEMA_POLL_MS) is 10 min, longer than the suite: served at all, events did it.
    await expect.poll(async () => (await gql('admin', null, '{ eventsDdlSecond { id } }')).errors?.length ?? 0, { timeout: 15_000, interval: 50 }).toBe(0);
  });

  it('replays from an id and closes unauthenticated sockets with 4401', async () => {
    // Events of the first test, published before this subscription existed.
    // From just before the first test (not from 0-0: other suites' events may be more than a
    // subscriber's buffer can replay, which ends in a resync by design).
    const first = await subscribe<SchemaChanged>(QUERY, { role: 'admin', variables: { after: beforeFirstTest } });
    try {
      const created = await first.waitFor((e) => e.schemaChanged.commandTag === 'CREATE TABLE' && e.schemaChanged.objectIdentity === 'public.events_ddl_probe');
      const dropped = await first.waitFor((e) => e.schemaChanged.commandTag === 'DROP TABLE' && e.schemaChanged.objectIdentity === 'public.events_ddl_probe');
      expect(created.schemaChanged.version!).toBeLessThan(dropped.schemaChanged.version!);
    } finally {
      await first.close();
    }
    for (const options of [{ token: null }, { token: 'not.a.jwt' }, { connectionParams: { authorization: 'Basic abc' } }]) {
      const denied = await subscribe<SchemaChanged>(QUERY, { ...options });
      await expect.poll(() => denied.closed?.code, { timeout: 5_000 }).toBe(4401);
      expect(denied.received).toEqual([]);
    }
  });
});
