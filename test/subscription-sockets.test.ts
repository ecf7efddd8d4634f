import fs from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import type { DataEvent } from '../src/events/event-types.js';
import { managerFor } from '../src/stack/stack-control.js';
import { gql } from './support/database.js';
import { tokenFor } from './support/graphql-client.js';
import { subscribe, testBus } from './support/subscriptions.js';

/** graphql-ws sockets on the gateway: protocol details a client or a proxy depends on. */

/**
 * A bare graphql-transport-ws client: connects, subscribes, and can stop reading. With `marker`
 * (which publishes an event the subscription selects, and whose query replays from before it),
 * it returns once that event has arrived: the subscription is live on the gateway.
 */
async function rawSubscriber(query: string, marker?: () => Promise<void>): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }>; pings: () => number }> {
  const socket = new WebSocket(inject('stack').info.urls.graphql.replace(/^http/, 'ws'), 'graphql-transport-ws');
  let pings = 0;
  socket.on('ping', () => pings++);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const acknowledged = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('admin')}` } }));
  await acknowledged;
  const firstEvent = marker ? nextEvent(socket) : null;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  if (marker) {
    await marker();
    await firstEvent;
  }
  return { socket, closed, pings: () => pings };
}

/** Resolves at the socket's next `next` message; rejects on an `error` message. */
function nextEvent(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { type: string; payload?: unknown };
      if (message.type !== 'next' && message.type !== 'error') return;
      socket.off('message', onMessage);
      if (message.type === 'next') resolve();
      else reject(new Error(`the subscription failed: ${JSON.stringify(message.payload)}`));
    };
    socket.on('message', onMessage);
  });
}

describe('subscription sockets', () => {
  it('pings idle sockets, so that proxies keep them open', async () => {
    const { socket, pings } = await rawSubscriber('subscription { schemaChanged { id } }');
    try {
      // The test stack pings every 2 s (DISTRAG_WS_PING_MS).
      await expect.poll(pings, { timeout: 6_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    } finally {
      socket.close();
    }
  });

  it('drops a subscriber that stops reading, and keeps the gateway small and serving', async () => {
    // Events of 4 kB (a long table name), so that a few thousand exceed what the kernel buffers.
    const table = `public.slow_probe_${'x'.repeat(4000)}`;
    const event: DataEvent = { type: 'change', table, op: 'UPDATE', tenant: null, at: new Date().toISOString(), node: 'test' };
    const bus = testBus();
    try {
      // Live once its first event (replayed if need be) has arrived; only then stop reading.
      const after = await bus.lastId('data');
      const { socket, closed } = await rawSubscriber(`subscription { dataChanged(after: "${after}", tables: ["${table}"]) { id table op tenant } }`, async () => {
        await bus.publish('data', event);
      });
      const raw = (socket as unknown as { _socket: { pause: () => void; resume: () => void } })._socket;
      raw.pause();
      for (let i = 0; i < 10; i++) await bus.publish('data', ...Array.from({ length: 1000 }, () => event));
      raw.resume();
      const { code, reason } = await closed;
      expect(code).toBe(1013);
      expect(reason).toMatch(/too slow/);
    } finally {
      await bus.close();
    }
    const gateway = managerFor(loadConfig({ ...process.env, ...inject('stack').env })).list().find((p) => p.name === 'gateway')!;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))![1]);
    expect(rssKb).toBeLessThan(600_000);
    expect((await gql('reader', '1', '{ universities { name } }')).errors).toBeUndefined();
  });

  it('shows the Subscription type to introspection (Apollo Sandbox lists and runs subscriptions)', async () => {
    const body = await gql('reader', '1', '{ __schema { subscriptionType { name fields { name } } } }');
    const type = (body.data as { __schema: { subscriptionType: { name: string; fields: Array<{ name: string }> } } }).__schema.subscriptionType;
    expect(type.name).toBe('Subscription');
    expect(type.fields.map((f) => f.name).sort()).toEqual(['cacheInvalidated', 'clusterEvents', 'dataChanged', 'schemaChanged']);
  });

  it('runs queries sent over the socket like HTTP ones', async () => {
    const sub = await subscribe<{ universities: Array<{ name: string }> }>('{ universities { name } }', { role: 'reader', tenant: '1' });
    try {
      const result = await sub.waitFor(() => true);
      expect(result.universities).toHaveLength(2);
    } finally {
      await sub.close();
    }
  });
});
