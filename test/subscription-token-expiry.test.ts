import { describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { signUserToken } from '../src/auth/user-token.js';
import { TOKEN_EXPIRED_CLOSE, TOKEN_EXPIRED_REASON } from '../gateway/subscriptions/subscription-server.js';

/** A subscription socket does not outlive its token: it is closed at the token's exp (issue 9). */

interface OpenSocket {
  socket: WebSocket;
  closed: Promise<{ code: number; reason: string; at: number }>;
}

/** A bare graphql-transport-ws client, acknowledged and subscribed to schema changes. */
async function subscribedSocket(token: string, url: string): Promise<OpenSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const acknowledged = new Promise<string>((resolve) => socket.once('message', (data) => resolve((JSON.parse(data.toString()) as { type: string }).type)));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  expect(await acknowledged).toBe('connection_ack');
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { schemaChanged { id } }' } }));
  return { socket, closed };
}

describe('subscriptions and token expiry', () => {
  for (const [route, url] of [['a gateway', () => inject('stack').info.urls.graphql], ['NGINX', () => inject('stack').info.urls.nginx!]] as const) {
    it(`closes a socket through ${route} with ${TOKEN_EXPIRED_CLOSE} "${TOKEN_EXPIRED_REASON}" when its token expires, and only that socket`, async () => {
      const { jwtSecret } = inject('stack');
      const shortLived = await signUserToken(jwtSecret, { sub: 'short', role: 'admin' }, 3);
      const { exp } = JSON.parse(Buffer.from(shortLived.split('.')[1]!, 'base64url').toString()) as { exp: number };
      const expiring = await subscribedSocket(shortLived, url());
      const lasting = await subscribedSocket(await signUserToken(jwtSecret, { sub: 'long', role: 'admin' }, 3600), url());
      try {
        // Fails (rather than hangs) when the gateway leaves the socket open well past the expiry.
        let deadline: NodeJS.Timeout | undefined;
        const stillOpen = new Promise<never>((_, reject) => {
          deadline = setTimeout(() => reject(new Error('the socket is still open 10 s after its token expired')), exp * 1000 + 10_000 - Date.now());
        });
        const { code, reason, at } = await Promise.race([expiring.closed, stillOpen]).finally(() => clearTimeout(deadline));
        expect(code).toBe(4401);
        expect(reason).toBe('Unauthorized: token expired');
        // Not before the token's expiry (exp has whole-second precision), and not long after it.
        expect(at).toBeGreaterThanOrEqual(exp * 1000);
        expect(at).toBeLessThan(exp * 1000 + 3_000);
        expect(lasting.socket.readyState).toBe(WebSocket.OPEN);
      } finally {
        expiring.socket.close();
        lasting.socket.close();
      }
    });
  }

  it('refuses a socket whose token has already expired with 4401 at connection_init', async () => {
    const expired = await signUserToken(inject('stack').jwtSecret, { sub: 'old', role: 'admin' }, -5);
    const socket = new WebSocket(inject('stack').info.urls.graphql.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${expired}` } })));
    expect(await closed).toEqual({ code: 4401, reason: 'Unauthorized' });
  });
});
