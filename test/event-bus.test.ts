import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { streamName } from '../src/events/event-bus.js';
import type { DataEvent, Delivered, EventKind } from '../src/events/event-types.js';
import { eventually } from './support/database.js';
import { testBus } from './support/subscriptions.js';

/** The event bus module on the shared stack's Redis. */

const bus = testBus();
afterAll(() => bus.close());

/** True once the consumer group exists on the stream of `kind` (read with XINFO GROUPS). */
async function groupExists(kind: EventKind, group: string): Promise<boolean> {
  const redis = new Redis(inject('stack').info.urls.redis);
  try {
    const groups = (await redis.xinfo('GROUPS', streamName(kind))) as unknown[][];
    return groups.some((fields) => fields[fields.indexOf('name') + 1] === group);
  } catch {
    return false; // no stream yet
  } finally {
    redis.disconnect();
  }
}

const change = (table: string, tenant: string | null): DataEvent => ({ type: 'change', table, op: 'INSERT', tenant, at: new Date().toISOString(), node: 'test' });

describe('event bus (Redis Streams)', () => {
  it('publishes in order and replays by id', async () => {
    const before = await bus.lastId('data');
    const ids = await bus.publish('data', change('public.bus_a', '1'), change('public.bus_b', '2'), change('public.bus_c', null));
    expect(ids).toHaveLength(3);
    const replayed = await bus.replay('data', before);
    expect(replayed.map((d) => d.id)).toEqual(ids);
    expect(replayed.map((d) => (d.event as { table: string }).table)).toEqual(['public.bus_a', 'public.bus_b', 'public.bus_c']);
    expect((await bus.replay('data', ids[0]!)).map((d) => d.id)).toEqual(ids.slice(1));
  });

  it('follows new events as they are published, from the given id', async () => {
    const start = await bus.lastId('cluster');
    const seen: Delivered[] = [];
    const follower = bus.follow({ kinds: ['cluster'], after: { cluster: start }, onEvents: (events) => void seen.push(...events), onResync: () => undefined, blockMs: 200 });
    try {
      await bus.publish('cluster', { type: 'cluster', kind: 'TEST_EVENT', node: null, detail: 'one', at: new Date().toISOString() });
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
      expect(seen[0]!.event).toMatchObject({ kind: 'TEST_EVENT', detail: 'one' });
    } finally {
      await follower.stop();
    }
  });

  it('gives each event of a consumer group to one member, and redelivers what was not acknowledged', async () => {
    const group = `test-group-${Date.now()}`;
    // Other test files publish on the shared 'cache' stream at the same time: look only at this test's event.
    const marker = `bus-test-${Date.now()}`;
    const handled: string[] = [];
    let failOnce = true;
    const consumer = bus.consumeGroup('cache', group, 'member-1', async (event) => {
      if ((event.event as { tenant?: string }).tenant !== marker) return;
      if (failOnce) {
        failOnce = false;
        throw new Error('crash before acknowledging');
      }
      handled.push(event.id);
    });
    try {
      // The group starts at the stream's end when it is created: publish only once it exists.
      await eventually(() => groupExists('cache', group), 10_000, `consumer group ${group}`);
      const [id] = await bus.publish('cache', { type: 'invalidated', tenant: marker, reason: 'test', entriesRemoved: 0, at: new Date().toISOString() });
      await expect.poll(() => handled, { timeout: 10_000 }).toEqual([id]);
    } finally {
      await consumer.stop();
    }
  });

  it('keeps streams bounded', async () => {
    const small = testBus(100);
    try {
      for (let i = 0; i < 10; i++) await small.publish('cluster', ...Array.from({ length: 100 }, () => ({ type: 'cluster' as const, kind: 'FILLER', node: null, detail: '', at: '' })));
      const all = await small.replay('cluster', '0-0', 100_000);
      // MAXLEN ~ trims whole macro nodes: about the bound, never everything published.
      expect(all.length).toBeLessThan(1000);
      expect(all.length).toBeGreaterThanOrEqual(100);
    } finally {
      await small.close();
    }
  });
});
