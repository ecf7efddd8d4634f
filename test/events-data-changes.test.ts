import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminQuery, eventually, gqlData, served, withAdmin } from './support/database.js';
import { lastEventId, subscribe, type Subscription } from './support/subscriptions.js';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

interface DataChanged {
  dataChanged: { id: string; table: string; op: string; tenant: string | null; resync: boolean; node: string | null };
}

const QUERY = 'subscription ($after: ID, $tables: [String!]) { dataChanged(after: $after, tables: $tables) { id table op tenant resync node } }';
const PROBE = 'public.events_data_probe';

beforeAll(async () => {
  await adminQuery('CREATE TABLE events_data_probe (university_id integer NOT NULL, id integer NOT NULL, note text, PRIMARY KEY (university_id, id))');
  await adminQuery(`INSERT INTO events_data_probe VALUES (1, 1, 'a'), (2, 1, 'b')`);
  // The data API secures the new table (row-level security, grants) before its first write through the API.
  await eventually(() => served('{ eventsDataProbe { id } }'), 15_000, 'events_data_probe in the API');
});
afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS events_data_probe');
});

async function fromNow(options: { role?: 'reader' | 'writer' | 'admin'; tenant?: string; tables?: string[]; url?: string } = {}): Promise<Subscription<DataChanged>> {
  return subscribe<DataChanged>(QUERY, { role: options.role ?? 'admin', tenant: options.tenant, url: options.url, variables: { after: await lastEventId('data'), tables: options.tables } });
}

const probeEvents = (sub: Subscription<DataChanged>) => sub.received.map((e) => e.dataChanged).filter((e) => e.table === PROBE);

describe('dataChanged', () => {
  it('reports inserts, updates and deletes made through the API, with their tenant', async () => {
    const sub = await fromNow({ tables: ['events_data_probe'] });
    try {
      await gqlData('writer', '1', 'mutation { insertEventsDataProbe(objects: [{ id: 2, note: "x" }]) { affectedRows } }');
      await gqlData('writer', '1', 'mutation { updateEventsDataProbe(where: { id: { eq: 2 } }, set: { note: "y" }) { affectedRows } }');
      await gqlData('writer', '1', 'mutation { deleteEventsDataProbe(where: { id: { eq: 2 } }) { affectedRows } }');
      await sub.waitFor((e) => e.dataChanged.op === 'DELETE');
      expect(probeEvents(sub).map((e) => [e.op, e.tenant])).toEqual([['INSERT', '1'], ['UPDATE', '1'], ['DELETE', '1']]);
    } finally {
      await sub.close();
    }
  });

  it('reports writes made by plain SQL, one event per tenant for a multi-tenant statement, coalesced per transaction', async () => {
    const sub = await fromNow({ tables: ['public.events_data_probe'] });
    try {
      await adminQuery(`UPDATE events_data_probe SET note = 'z' WHERE university_id IN (1, 2)`);
      await withAdmin(async (c) => {
        await c.query('BEGIN');
        for (let i = 10; i < 60; i++) await c.query('INSERT INTO events_data_probe VALUES (2, $1, $2)', [i, 'bulk']);
        await c.query(`UPDATE events_data_probe SET note = 'bulk2' WHERE university_id = 2 AND id = 10`);
        await c.query('COMMIT');
      });
      await sub.waitFor((e) => e.dataChanged.op === 'MIXED');
      const events = probeEvents(sub).map((e) => [e.op, e.tenant]);
      expect(events.slice(0, 2).sort()).toEqual([['UPDATE', '1'], ['UPDATE', '2']]);
      // 50 inserts and an update of tenant 2 in one transaction: one event.
      expect(events.slice(2)).toEqual([['MIXED', '2']]);
    } finally {
      await sub.close();
    }
  });

  it('reports COPY and TRUNCATE', async () => {
    const sub = await fromNow({ tables: ['events_data_probe'] });
    try {
      await withAdmin(async (c) => {
        const stream = c.query(copyFrom('COPY events_data_probe (university_id, id, note) FROM STDIN'));
        await pipeline(Readable.from(['1\t100\tcopied\n2\t100\tcopied\n']), stream);
      });
      await adminQuery('TRUNCATE events_data_probe');
      await sub.waitFor((e) => e.dataChanged.op === 'TRUNCATE');
      const events = probeEvents(sub).map((e) => [e.op, e.tenant]);
      expect(events.slice(0, 2).sort()).toEqual([['INSERT', '1'], ['INSERT', '2']]);
      expect(events.slice(2)).toEqual([['TRUNCATE', null]]);
    } finally {
      await sub.close();
    }
  });

  it("never sends a tenant token another tenant's events", async () => {
    const tenantOne = await fromNow({ role: 'reader', tenant: '1' });
    const admin = await fromNow({ role: 'admin' });
    try {
      await adminQuery(`INSERT INTO events_data_probe VALUES (2, 500, 'secret of tenant 2')`);
      await adminQuery(`INSERT INTO events_data_probe VALUES (1, 500, 'tenant 1')`);
      await admin.waitFor((e) => e.dataChanged.tenant === '1' && e.dataChanged.table === PROBE);
      await tenantOne.waitFor((e) => e.dataChanged.tenant === '1' && e.dataChanged.table === PROBE);
      expect(admin.received.some((e) => e.dataChanged.tenant === '2')).toBe(true);
      expect(tenantOne.received.filter((e) => e.dataChanged.tenant !== null && e.dataChanged.tenant !== '1')).toEqual([]);
    } finally {
      await tenantOne.close();
      await admin.close();
    }
  });

  it('is delivered through NGINX to a subscriber of either gateway, and the subscription survives a supergraph recomposition', async () => {
    const viaNginx = await fromNow({ url: inject('stack').info.urls.nginx! });
    const second = await fromNow({ url: inject('stack').gateways[1] });
    try {
      await adminQuery('CREATE TABLE events_recompose_probe (id integer PRIMARY KEY)');
      await eventually(() => served('{ eventsRecomposeProbe { id } }'), 15_000, 'events_recompose_probe in the API');
      await adminQuery(`INSERT INTO events_data_probe VALUES (1, 700, 'after recomposition')`);
      for (const sub of [viaNginx, second]) await sub.waitFor((e) => e.dataChanged.table === PROBE && e.dataChanged.tenant === '1');
      expect(viaNginx.closed).toBeNull();
    } finally {
      await viaNginx.close();
      await second.close();
      await adminQuery('DROP TABLE IF EXISTS events_recompose_probe');
    }
  });

  it('refuses clusterEvents to a reader with FORBIDDEN', async () => {
    const sub = await subscribe('subscription { clusterEvents { kind } }', { role: 'reader', tenant: '1' });
    try {
      await expect.poll(() => (sub.errors[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code, { timeout: 5_000 }).toBe('FORBIDDEN');
    } finally {
      await sub.close();
    }
  });
});
