import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { managerFor } from '../src/stack/stack-control.js';
import { adminQuery, eventually, served } from './support/database.js';
import { lastEventId, subscribe, type Subscription } from './support/subscriptions.js';

/**
 * Never silently miss: when a connection of the change feed is killed, Redis restarts or a
 * gateway restarts, a subscriber that stays connected receives every event — or a resync.
 */

interface DataChanged {
  dataChanged: { id: string; table: string; op: string; tenant: string | null; resync: boolean };
}
const QUERY = 'subscription ($after: ID) { dataChanged(after: $after, tables: ["events_resilience"]) { id table op tenant resync } }';

const manager = () => managerFor(loadConfig({ ...process.env, ...inject('stack').env }));
let nextId = 1;

beforeAll(async () => {
  await adminQuery('CREATE TABLE events_resilience (university_id integer NOT NULL, id integer NOT NULL, PRIMARY KEY (university_id, id))');
  await eventually(() => served('{ eventsResilience { id } }'), 15_000, 'events_resilience in the API');
});
afterAll(async () => {
  await adminQuery('DROP TABLE IF EXISTS events_resilience');
});

/** Inserts one row per tenant in its own transaction; returns the tenants written. */
async function write(tenants: string[]): Promise<string[]> {
  for (const tenant of tenants) await adminQuery('INSERT INTO events_resilience VALUES ($1, $2)', [Number(tenant), nextId++]);
  return tenants;
}

/** Every insert arrived (as its own event), or the subscriber was told to resync. */
async function expectAllOrResync(sub: Subscription<DataChanged>, expected: number): Promise<'all' | 'resync'> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const events = sub.received.map((e) => e.dataChanged);
    if (events.some((e) => e.resync)) return 'resync';
    if (events.filter((e) => e.table === 'public.events_resilience' && e.op === 'INSERT').length >= expected) return 'all';
    if (Date.now() > deadline) throw new Error(`received ${events.length} of ${expected} events and no resync: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('change feed resilience', () => {
  it('loses nothing when its PostgreSQL connections are terminated', async () => {
    const sub = await subscribe<DataChanged>(QUERY, { variables: { after: await lastEventId('data') } });
    try {
      await write(['1', '2']);
      const { length } = await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'distrag-feed%'`);
      expect(length).toBeGreaterThanOrEqual(1);
      await write(['1', '2', '1']);
      expect(await expectAllOrResync(sub, 5)).toBe('all');
      // Schema changes made while the LISTEN connection was down arrive too (read back by version).
      await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'distrag-feed-schema'`);
      await adminQuery('ALTER TABLE events_resilience ADD COLUMN note text');
      const schema = await subscribe<{ schemaChanged: { commandTag: string; objectIdentity: string } }>('subscription { schemaChanged(after: "0-0") { commandTag objectIdentity } }');
      try {
        await schema.waitFor((e) => e.schemaChanged.commandTag === 'ALTER TABLE' && e.schemaChanged.objectIdentity === 'public.events_resilience');
      } finally {
        await schema.close();
      }
      await eventually(async () => (await adminQuery(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'distrag-feed'`)).length > 0, 20_000, 'the feed to reconnect');
    } finally {
      await sub.close();
    }
  });

  it('loses nothing, or says resync, when Redis restarts under a connected subscriber', async () => {
    const sub = await subscribe<DataChanged>(QUERY, { variables: { after: await lastEventId('data') } });
    try {
      await write(['1']);
      await sub.waitFor((e) => e.dataChanged.op === 'INSERT');
      const redis = manager().list().find((p) => p.name === 'redis')!;
      await manager().stop(redis, true);
      // Written while the bus is down: the feed holds them (unacknowledged) until it is back.
      await write(['2', '1']);
      await manager().restart('redis');
      await write(['2']);
      const outcome = await expectAllOrResync(sub, 4);
      expect(['all', 'resync']).toContain(outcome);
      expect(sub.closed).toBeNull();
    } finally {
      await sub.close();
    }
  });

  it('loses nothing for a subscriber of the other gateway while one restarts, and replays for one that reconnects', async () => {
    const [first, second] = inject('stack').gateways;
    const staying = await subscribe<DataChanged>(QUERY, { url: first, variables: { after: await lastEventId('data') } });
    const dropped = await subscribe<DataChanged>(QUERY, { url: second, variables: { after: await lastEventId('data') } });
    try {
      await write(['1']);
      const seen = await dropped.waitFor((e) => e.dataChanged.op === 'INSERT');
      const restarting = manager().restart('gateway-2');
      await write(['2', '1']);
      await restarting;
      await write(['2']);
      expect(await expectAllOrResync(staying, 4)).toBe('all');
      await expect.poll(() => dropped.closed?.code, { timeout: 10_000 }).toBeDefined();
      // The client that lost its socket resumes after the last id it saw.
      const resumed = await subscribe<DataChanged>(QUERY, { url: second, variables: { after: seen.dataChanged.id } });
      try {
        expect(await expectAllOrResync(resumed, 3)).toBe('all');
      } finally {
        await resumed.close();
      }
    } finally {
      await staying.close();
      await dropped.close();
    }
  });
});
