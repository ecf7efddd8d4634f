import { performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_BENCH_QUERY } from '../bench/gateway-benchmark.js';
import { failingFor, inFlightAt, requestTimeline, sentBetween, summarize } from '../bench/request-timeline.js';
import { gatewayMetric, gatewayNamed, graphqlRequestsOf, nginxLogSize, nginxUpstreamErrors, stackGateways, untilRefused, untilRestarted } from '../bench/stack-gateways.js';
import { signUserToken } from '../src/auth/user-token.js';
import type { Role } from '../src/auth/identity.js';
import { ResumingSubscription } from '../src/client/resuming-subscription.js';
import { EventBus } from '../src/events/event-bus.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';

/**
 * Three gateways behind NGINX, as `up --gateways 3` runs them: requests are spread over all three,
 * and when one is killed with SIGKILL under load, NGINX moves on — only requests already sent to
 * it fail — the recovery watchdog brings it back and it gets traffic again; subscriptions on it
 * resume on another gateway through NGINX with `after:` and miss nothing, repeat nothing.
 */

const CLIENTS = 16;
/** After the kill, requests sent later than this must all succeed. */
const SETTLE_MS = 1_000;
const SUBSCRIPTIONS = 6;
const PROBE_ROWS = 150;

interface DataChanged {
  dataChanged: { id: string; table: string; op: string; tenant: string | null; resync: boolean };
}

describe('gateway failover behind NGINX (3 gateways)', () => {
  let stack: PrivateStack;
  let secrets: { jwtSecret: string };

  const token = (role: Role, tenant?: string) => signUserToken(secrets.jwtSecret, { sub: `failover-${role}`, role, tenant: tenant ?? null });
  const nginxUrl = () => stack.info.urls.nginx!;
  const graphqlRequests = async (name: string) => graphqlRequestsOf(gatewayNamed(stack, name), await token('admin'));

  function kill(name: string): number {
    const { pid } = gatewayNamed(stack, name);
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  beforeAll(async () => {
    stack = await startPrivateStack({
      prefix: 'distrag-failover',
      gateways: 3,
      // The watchdog takes 5 s to call a gateway dead: NGINX (fail_timeout=5s) then tries the killed
      // one again while it still refuses connections, and must pass those requests on.
      env: { DISTRAG_SEED_SCALE: '0.1', DISTRAG_RECOVERY_CHECK_MS: '1000', DISTRAG_RECOVERY_FAILURES: '5', DISTRAG_WS_PING_MS: '2000' },
    });
    if (!stack.info.urls.nginx) throw new Error('nginx is not installed: this suite needs it');
    secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    expect(stackGateways(stack).map((g) => g.name)).toEqual(['gateway', 'gateway-2', 'gateway-3']);
    // The recovery watchdog is what brings a killed gateway back here, as in production.
    expect(stack.config.DISTRAG_RECOVERY).toBe(true);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('spreads requests over every gateway, round robin', async () => {
    const names = stackGateways(stack).map((g) => g.name);
    const before = await Promise.all(names.map(graphqlRequests));
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await token('reader', '1')}` };
    for (let i = 0; i < 30; i++) {
      const response = await fetch(nginxUrl(), { method: 'POST', headers, body: JSON.stringify({ query: GATEWAY_BENCH_QUERY }) });
      expect(response.status).toBe(200);
      await response.text();
    }
    const gained = (await Promise.all(names.map(graphqlRequests))).map((n, i) => n - before[i]!);
    expect(gained).toEqual([10, 10, 10]);
  });

  it('keeps serving when a gateway is killed under load: only the requests it held fail (502); it comes back and gets traffic', async () => {
    const victim = 'gateway-3';
    const stop = new AbortController();
    const load = requestTimeline({
      url: nginxUrl(),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token('reader', '1')}` },
      body: JSON.stringify({ query: GATEWAY_BENCH_QUERY }),
      clients: CLIENTS,
      signal: stop.signal,
    });
    try {
      await new Promise((r) => setTimeout(r, 3_000));
      const killAt = performance.now();
      const gateway = gatewayNamed(stack, victim);
      const nginxLogFrom = nginxLogSize(stack);
      const killedPid = kill(victim);
      const deadAt = await untilRefused(gateway);
      const { startedAt: restartAt, readyAt: backAt } = await untilRestarted(stack, victim, killedPid);
      // NGINX tries a failed server again after fail_timeout (5 s): then it must get its share.
      await expect.poll(() => graphqlRequests(victim), { timeout: 20_000, interval: 250 }).toBeGreaterThan(20);
      const servingAt = performance.now();
      await new Promise((r) => setTimeout(r, 1_000));
      stop.abort();
      const timeline = await load;
      const before = summarize(timeline.filter((r) => r.sentMs >= killAt - 3_000 && r.doneMs < killAt));
      const during = summarize(sentBetween(timeline, killAt, killAt + SETTLE_MS));
      const after = summarize(sentBetween(timeline, killAt + SETTLE_MS, Infinity));
      const failed = timeline.filter((r) => r.failure);
      const ms = (t: number) => `${(t - killAt).toFixed(1)}`;
      // NGINX's own account of the killed gateway: requests it had sent there and lost, connections refused.
      const nginx = nginxUpstreamErrors(stack, gateway, nginxLogFrom);
      console.error(
        `[failover] ${CLIENTS} clients, ${timeline.length} requests; ${victim} refused connections ${ms(deadAt)} ms after the SIGKILL; ${inFlightAt(timeline, killAt).length} requests in flight at the kill (on any gateway); NGINX lost ${nginx.lost} on ${victim}; ` +
          `failed ${failed.length} ${JSON.stringify(summarize(failed).failures)} (sent at ${failed.map((r) => ms(r.sentMs)).join(', ')} ms, answered at ${failed.map((r) => ms(r.doneMs)).join(', ')} ms from the kill); ` +
          `p99 before ${before.p99Ms.toFixed(1)} ms (${before.requests} req), first ${SETTLE_MS} ms after the kill ${during.p99Ms.toFixed(1)} ms (${during.requests} req, ${during.failed} failed), after ${after.p99Ms.toFixed(1)} ms (${after.requests} req, ${after.failed} failed); ` +
          `failing for ${failingFor(timeline, killAt).toFixed(0)} ms; NGINX found ${nginx.notConnected} connections to ${victim} refused; restarted after ${((restartAt - killAt) / 1000).toFixed(1)} s, ready after ${((backAt - killAt) / 1000).toFixed(1)} s, traffic again after ${((servingAt - killAt) / 1000).toFixed(1)} s`,
      );
      expect(before.failed).toBe(0);
      expect(after.failed).toBe(0);
      // The gateway was still down when NGINX tried it again (fail_timeout): that path was taken, and
      // a refused connection never reached the gateway, so its request went to the next one.
      expect(nginx.notConnected).toBeGreaterThanOrEqual(1);
      // What failed is exactly what the gateway held when it died: POST is not idempotent, so NGINX
      // does not send again a request the gateway had received, and answers it 502.
      expect(failed.length).toBe(nginx.lost);
      for (const r of failed) {
        expect(r.failure).toBe('HTTP 502');
        expect(r.sentMs, 'a request sent once the gateway refused connections failed').toBeLessThanOrEqual(deadAt);
      }
    } finally {
      stop.abort();
      await load.catch(() => undefined);
    }
  }, 120_000);

  it('resumes subscriptions of a killed gateway on another through NGINX with `after`: every event once, in order', async () => {
    const admin = new pg.Client({ connectionString: stack.info.urls.postgres });
    await admin.connect();
    const bus = new EventBus({ url: stack.info.urls.redis, maxLen: 10_000, log: pino({ level: 'silent' }) });
    const subscriptions: Array<{ sub: ResumingSubscription<DataChanged>; tenants: string[]; resyncs: number; ended: Error | null }> = [];
    try {
      // A plain table on the coordinator: one node's commits reach the bus in commit order.
      await admin.query('CREATE TABLE failover_probe (university_id integer PRIMARY KEY)');
      const after = await bus.lastId('data');
      const adminToken = await token('admin');
      for (let i = 0; i < SUBSCRIPTIONS; i++) {
        const entry = { sub: null as unknown as ResumingSubscription<DataChanged>, tenants: [] as string[], resyncs: 0, ended: null as Error | null };
        entry.sub = new ResumingSubscription<DataChanged>({
          url: nginxUrl(),
          query: 'subscription ($after: ID) { dataChanged(after: $after, tables: ["failover_probe"]) { id table op tenant resync } }',
          token: () => adminToken,
          event: (data) => data.dataChanged,
          after,
          onEvent: (data) => (data.dataChanged.resync ? entry.resyncs++ : entry.tenants.push(data.dataChanged.tenant!)),
          onEnd: (error) => (entry.ended = error),
        });
        entry.sub.start();
        subscriptions.push(entry);
        await expect.poll(() => entry.sub.connected, { timeout: 10_000 }).toBe(true);
      }
      // Which gateway holds how many of them: kill one that holds some.
      const sockets = new Map(await Promise.all(stackGateways(stack).map(async (g) => [g.name, await gatewayMetric(g, adminToken, 'distrag_gateway_subscription_sockets')] as const)));
      expect([...sockets.values()].reduce((a, b) => a + b, 0)).toBe(SUBSCRIPTIONS);
      const [victim, onVictim] = [...sockets.entries()].sort((a, b) => b[1] - a[1])[0]!;
      expect(onVictim).toBeGreaterThanOrEqual(1);

      let killedPid = 0;
      for (let row = 1; row <= PROBE_ROWS; row++) {
        await admin.query('INSERT INTO failover_probe VALUES ($1)', [row]);
        if (row === 40) killedPid = kill(victim);
        await new Promise((r) => setTimeout(r, 20));
      }
      const expected = Array.from({ length: PROBE_ROWS }, (_, i) => String(i + 1));
      const deadline = Date.now() + 30_000;
      while (!subscriptions.every((s) => s.tenants.length >= PROBE_ROWS || s.ended) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // A little longer: a duplicate or a late event would arrive now.
      await new Promise((r) => setTimeout(r, 500));
      const resumed = subscriptions.filter((s) => s.sub.stats.closes.length > 0);
      console.error(
        `[failover] ${victim} held ${onVictim} of ${SUBSCRIPTIONS} subscriptions (${JSON.stringify(Object.fromEntries(sockets))}); ` +
          `resumed ${resumed.length}, close codes ${JSON.stringify(resumed.map((s) => s.sub.stats.closes.map((c) => c.code)))}, ` +
          `duplicates dropped by the client ${subscriptions.reduce((n, s) => n + s.sub.stats.duplicatesDropped, 0)}`,
      );
      for (const s of subscriptions) {
        expect(s.ended).toBeNull();
        expect(s.resyncs).toBe(0);
        expect(s.tenants).toEqual(expected);
        // The gateways replayed exactly what was missed: nothing twice, not even for the client to drop.
        expect(s.sub.stats.duplicatesDropped).toBe(0);
      }
      // Exactly the subscriptions on the killed gateway lost their socket, and each resumed once.
      expect(resumed.length).toBe(onVictim);
      for (const s of resumed) expect(s.sub.stats.connections).toBe(2);
      await untilRestarted(stack, victim, killedPid);
    } finally {
      await Promise.all(subscriptions.map((s) => s.sub.close()));
      await bus.close();
      await admin.query('DROP TABLE IF EXISTS failover_probe').catch(() => undefined);
      await admin.end();
    }
  }, 120_000);
});
