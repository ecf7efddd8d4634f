import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkHealth } from '../src/stack/health-check.js';
import type { PrivateStack } from '../src/stack/private-stack.js';
import { managerFor } from '../src/stack/stack-control.js';
import { stackLayout } from '../src/stack/stack-layout.js';

/** One gateway process of a running stack (`gateway`, `gateway-2`, …). */
export interface GatewayProcess {
  name: string;
  pid: number;
  /** http://host:port, without a path. */
  url: string;
}

/** The stack's gateways as its process manager recorded them now (a restarted one has a new pid). */
export function stackGateways(stack: PrivateStack): GatewayProcess[] {
  return managerFor(stack.config)
    .list()
    .filter((p) => /^gateway(-\d+)?$/.test(p.name))
    .map((p) => ({ name: p.name, pid: p.pid, url: `http://${stack.config.DISTRAG_HOST}:${p.port}` }));
}

export function gatewayNamed(stack: PrivateStack, name: string): GatewayProcess {
  const found = stackGateways(stack).find((g) => g.name === name);
  if (!found) throw new Error(`the stack has no gateway ${name}`);
  return found;
}

/** The sum of a gateway's Prometheus samples named `metric` whose label text contains `labels` (its /metrics wants an admin token). */
export async function gatewayMetric(gateway: GatewayProcess, adminToken: string, metric: string, labels = ''): Promise<number> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${gateway.name}/metrics answered ${response.status}`);
  return (await response.text())
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** GraphQL requests a gateway process has answered since it started. */
export function graphqlRequestsOf(gateway: GatewayProcess, adminToken: string): Promise<number> {
  return gatewayMetric(gateway, adminToken, 'distrag_http_requests_total', 'route="/graphql"');
}

/**
 * Waits until a killed gateway runs again (the recovery watchdog starts it under a new pid) and is
 * ready; returns when the new process was first seen and when it was ready (performance clock, ms).
 */
export async function untilRestarted(stack: PrivateStack, name: string, killedPid: number, timeoutMs = 120_000): Promise<{ startedAt: number; readyAt: number }> {
  const deadline = Date.now() + timeoutMs;
  let startedAt: number | null = null;
  for (;;) {
    const record = managerFor(stack.config).list().find((p) => p.name === name);
    if (record && record.pid !== killedPid) {
      startedAt ??= performance.now();
      if (await checkHealth(record.health, 2_000)) return { startedAt, readyAt: performance.now() };
    }
    if (Date.now() > deadline) throw new Error(`${name} was not running and ready again within ${timeoutMs} ms of its kill`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * When a killed gateway's port first refused a connection (performance clock, ms). SIGKILL is
 * delivered at once, but the kernel tears the process down — its sockets with it — some
 * milliseconds later, and until then connections are still accepted.
 */
export async function untilRefused(gateway: GatewayProcess, timeoutMs = 10_000): Promise<number> {
  const { hostname, port } = new URL(gateway.url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return performance.now();
    if (Date.now() > deadline) throw new Error(`${gateway.name} still accepts connections ${timeoutMs} ms after its kill`);
  }
}

/** How much NGINX's error log (its stderr, logs/nginx.log) holds now: read what it logs after with `nginxUpstreamErrors`. */
export function nginxLogSize(stack: PrivateStack): number {
  try {
    return fs.statSync(nginxLogFile(stack)).size;
  } catch {
    return 0;
  }
}

/**
 * What NGINX logged about one gateway since `from` (a `nginxLogSize`): requests it had sent there
 * and got no answer for — each answered 502 to its client, since a POST is not sent again — and
 * connections it could not make (refused), whose requests it passed to the next gateway.
 */
export function nginxUpstreamErrors(stack: PrivateStack, gateway: GatewayProcess, from: number): { lost: number; notConnected: number } {
  const upstream = `upstream: "${gateway.url}/`;
  const lines = fs.readFileSync(nginxLogFile(stack)).subarray(from).toString('utf8').split('\n').filter((line) => line.includes('[error]') && line.includes(upstream));
  const notConnected = lines.filter((line) => line.includes('while connecting to upstream')).length;
  return { lost: lines.length - notConnected, notConnected };
}

function nginxLogFile(stack: PrivateStack): string {
  return path.join(stackLayout(stack.config.home).logDir, 'nginx.log');
}
