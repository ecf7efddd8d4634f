import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { managerFor } from '../src/stack/stack-control.js';
import { adminQuery, eventually, served } from './support/database.js';
import { lastEventId, subscribe, type Subscription } from './support/subscriptions.js';

/**
 * Never silently miss: when a connection of the change feed is killed, Redis restarts or a
 * gateway restarts, a subscriber that stays connected receives every event, once and in order —
 * and a resync exactly when continuity cannot be proven (Redis restarted: it may have lost
 * writes of its last second).
 */

interface DataChanged {
  dataChanged: { id: string; table: string; op: string; tenant: string | null; resync: boolean; reason: string | null };
}
const QUERY = 'subscription ($after: ID) { dataChanged(after: $after, tables: ["events_resilience"]) { id table op tenant resync reason } }';

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

/**
 * Marks the end of a test's writes with an UPDATE (the tests write only INSERTs otherwise),
 * committed after all of them.
 */
async function writeMarker(): Promise<void> {
  await adminQuery('UPDATE events_resilience SET id = id WHERE id = (SELECT max(id) FROM events_resilience)');
}

/**
 * What a subscriber received before the marker's event, one entry per event: `INSERT <tenant>`,
 * or `RESYNC`. One node's commits reach subscribers in commit order, so by the marker every
 * earlier write has arrived, or it never will; and anything else there came unasked.
 */
async function receivedBeforeMarker(sub: Subscription<DataChanged>): Promise<string[]> {
  await sub.waitFor((e) => e.dataChanged.op === 'UPDATE', 30_000);
  const events = sub.received.map((e) => e.dataChanged);
  return events.slice(0, events.findIndex((e) => e.op === 'UPDATE')).map((e) => (e.resync ? 'RESYNC' : `${e.op} ${e.tenant}`));
}

const inserts = (tenants: string[]) => tenants.map((t) => `INSERT ${t}`);

describe('change feed resilience', () => {
  it('loses nothing when its PostgreSQL connections are terminated', async () => {
    const sub = await subscribe<DataChanged>(QUERY, { variables: { after: await lastEventId('data') } });
    try {
      await write(['1', '2']);
      const { length } = await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'distrag-feed%'`);
      expect(length).toBeGreaterThanOrEqual(1);
      await write(['1', '2', '1']);
      await writeMarker();
      // Each insert once, in commit order, and no resync: the slot kept the feed's position.
      expect(await receivedBeforeMarker(sub)).toEqual(inserts(['1', '2', '1', '2', '1']));
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

  it('says resync once and still loses nothing when Redis restarts under a connected subscriber', async () => {
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
      // A restarted Redis has a new run id: the gateway cannot prove it kept every event (AOF
      // fsyncs once a second), so its subscribers get a resync — when it reconnects, which may be
      // after it has read the events published since, so the marker comes after the resync.
      await sub.waitFor((e) => e.dataChanged.resync, 30_000);
      await writeMarker();
      const received = await receivedBeforeMarker(sub);
      // The feed published what it held once the bus was back: every insert once, in commit order.
      expect(received.filter((e) => e !== 'RESYNC')).toEqual(inserts(['1', '2', '1', '2']));
      const resyncs = sub.received.map((e) => e.dataChanged).filter((e) => e.resync);
      expect(resyncs).toEqual([expect.objectContaining({ table: '*', op: 'RESYNC', tenant: null, reason: 'the event bus restarted; events may have been lost' })]);
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
      await writeMarker();
      expect(await receivedBeforeMarker(staying)).toEqual(inserts(['1', '2', '1', '2']));
      await expect.poll(() => dropped.closed?.code, { timeout: 10_000 }).toBeDefined();
      // The client that lost its socket resumes after the last id it saw: the rest is replayed.
      const resumed = await subscribe<DataChanged>(QUERY, { url: second, variables: { after: seen.dataChanged.id } });
      try {
        expect(await receivedBeforeMarker(resumed)).toEqual(inserts(['2', '1', '2']));
      } finally {
        await resumed.close();
      }
    } finally {
      await staying.close();
      await dropped.close();
    }
  });
});
