import { createClient, type Client } from 'graphql-ws';
import pino from 'pino';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { EventBus } from '../../src/events/event-bus.js';
import type { EventKind } from '../../src/events/event-types.js';
import type { Role } from '../../src/auth/identity.js';
import { tokenFor } from './graphql-client.js';

export interface Subscription<T> {
  /** Everything received so far (`data` of each `next`). */
  received: T[];
  errors: unknown[];
  closed: { code: number; reason: string } | null;
  /** Resolves with the first received value matching `predicate` (polling what arrived). */
  waitFor(predicate: (value: T) => boolean, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** A bus client on the shared stack's Redis (tests read positions and publish markers with it). */
export function testBus(maxLen = 100_000): EventBus {
  return new EventBus({ url: inject('stack').info.urls.redis, maxLen, log: pino({ level: 'silent' }) });
}

/** The id of the newest event of a kind: subscribe `after` it to miss nothing from now on. */
export async function lastEventId(kind: EventKind): Promise<string> {
  const bus = testBus();
  try {
    return await bus.lastId(kind);
  } finally {
    await bus.close();
  }
}

/**
 * Subscribes over graphql-ws like a client would: token in connection_init (`Authorization`
 * key, as Sandbox users type it), on a gateway or through NGINX.
 */
export async function subscribe<T = Record<string, unknown>>(
  query: string,
  options: { role?: Role; tenant?: string; token?: string | null; url?: string; variables?: Record<string, unknown>; connectionParams?: Record<string, unknown> } = {},
): Promise<Subscription<T>> {
  const token = options.token === undefined ? await tokenFor(options.role ?? 'admin', options.tenant) : options.token;
  const url = (options.url ?? inject('stack').info.urls.graphql).replace(/^http/, 'ws');
  const state: Subscription<T> = {
    received: [],
    errors: [],
    closed: null,
    waitFor: async (predicate, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = state.received.find(predicate);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; received ${JSON.stringify(state.received).slice(0, 2000)}; errors ${JSON.stringify(state.errors)}; closed ${JSON.stringify(state.closed)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: async () => {
      await client.dispose();
    },
  };
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // closes are recorded in `closed`
    connectionParams: options.connectionParams ?? (token ? { Authorization: `Bearer ${token}` } : {}),
    on: { closed: (event) => (state.closed = { code: (event as { code: number }).code, reason: (event as { reason: string }).reason }) },
  });
  client.subscribe<T>(
    { query, variables: options.variables },
    {
      next: (value) => {
        if (value.errors) state.errors.push(...value.errors);
        if (value.data) state.received.push(value.data as T);
      },
      error: (error) => state.errors.push(error),
      complete: () => undefined,
    },
  );
  return state;
}
