import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack, type PrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import type { BenchOutcome, BenchTable } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { GATEWAY_BENCH_QUERY } from './gateway-benchmark.js';
import { httpLoad } from './http-load.js';
import type { Load } from './load.js';
import { cpuBetween, machineBusySeconds, ProcessCpu } from './process-cpu.js';
import { failingFor, requestTimeline, sentBetween, summarize, type TimedRequest } from './request-timeline.js';
import type { BenchmarkOptions } from './run-benchmark.js';
import { gatewayNamed, graphqlRequestsOf, nginxLogSize, nginxUpstreamErrors, untilRefused, untilRestarted } from './stack-gateways.js';
import { CPU_TABLE, cpuRow } from './time-breakdown.js';

const GATEWAY_COUNTS = [1, 2, 3];
/** Per path: every gateway of a fresh stack compiles its hot paths first (with 3 gateways each gets a third). */
const WARM_UP_SECONDS = 5;
/** The gateway killed in each failover run. */
const VICTIM = 'gateway-3';
/** The failover window: requests sent within this long after the kill. */
const FAILOVER_WINDOW_MS = 1_000;
const DIRECT = 'one gateway, no NGINX';
const OTHERS_BUSY = 'other processes busy %';
const behindNginx = (n: number) => `NGINX → ${n} gateway${n === 1 ? '' : 's'}`;

interface FailoverRun {
  requests: number;
  failed: number;
  /** Requests NGINX had sent to the killed gateway and got no answer for (its error log). */
  lost: number;
  /** SIGKILL → the gateway's port refusing connections, ms. */
  teardownMs: number;
  failures: Record<string, number>;
  /** Failed requests sent after the failover window. */
  failedLater: number;
  p99Before: number;
  p99Window: number;
  p99After: number;
  failingMs: number;
  /** Kill → the watchdog's new process ready, s. */
  readySeconds: number;
}

/**
 * `npx distrag bench lb`: the light query of the gateway benchmark through NGINX in front of 1, 2
 * and 3 gateways (and one gateway without NGINX), then failover: 3 gateways under load, one killed
 * with SIGKILL halfway through each run.
 */
export async function lbBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  const main = new BenchTableBuilder({ title: null, keyColumns: ['path'], columns: [{ name: 'req/s', digits: 0 }, { name: 'p50 ms', digits: 2 }, { name: 'p99 ms', digits: 2 }, { name: 'errors', digits: 0 }] });
  // Other sessions may share the machine: what they took is shown beside the stack's share.
  const cpu = new BenchTableBuilder({ ...CPU_TABLE, keyColumns: ['path'], columns: [...CPU_TABLE.columns, { name: OTHERS_BUSY, digits: 0 }] });
  const failover = new BenchTableBuilder({
    title: `Failover: ${GATEWAY_COUNTS.at(-1)} gateways behind NGINX, ${VICTIM} killed with SIGKILL halfway through each run`,
    keyColumns: ['load'],
    columns: [
      { name: 'requests', digits: 0 },
      { name: 'failed', digits: 0 },
      { name: 'lost on the killed gateway (NGINX log)', digits: 0 },
      { name: `failed, sent after the first ${FAILOVER_WINDOW_MS / 1000} s`, digits: 0 },
      { name: 'ms until its port refused', digits: 0 },
      { name: 'p99 ms before', digits: 2 },
      { name: `p99 ms first ${FAILOVER_WINDOW_MS / 1000} s after the kill`, digits: 2 },
      { name: 'p99 ms after that', digits: 2 },
      { name: 'ms until no errors', digits: 0 },
      { name: 's until it serves again (watchdog)', digits: 1 },
    ],
  });
  const failureKinds: Record<string, number> = {};
  let mode = options.mode;
  for (const gateways of GATEWAY_COUNTS) {
    options.report(`${gateways} gateway${gateways === 1 ? '' : 's'}: starting a private stack`);
    // Ready only once every node has its first base backup: no backup runs under the loads.
    const stack = await startPrivateStack({ prefix: 'distrag-bench', gateways, env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: '0.5', DISTRAG_READY_NEEDS_BACKUP: 'true' }), report: options.report });
    mode = stack.info.mode;
    try {
      const nginx = stack.info.urls.nginx;
      if (!nginx) throw new Error('nginx is not installed: `npx distrag bench lb` measures NGINX in front of the gateways');
      const jwtSecret = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config).jwtSecret;
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${await signUserToken(jwtSecret, { sub: 'bench', role: 'reader', tenant: '1' })}` };
      const body = JSON.stringify({ query: GATEWAY_BENCH_QUERY });
      const paths = [...(gateways === 1 ? [{ name: DIRECT, url: stack.info.urls.graphql }] : []), { name: behindNginx(gateways), url: nginx }];
      const processCpu = ProcessCpu.forStack(stack.config);
      const load = async (url: string, seconds: number) => {
        const before = processCpu?.sample() ?? null;
        const machineBefore = machineBusySeconds();
        const started = performance.now();
        const value = await httpLoad({ url, headers, body, duration: seconds, connections: options.connections });
        const after = processCpu?.sample() ?? null;
        const machineAfter = machineBusySeconds();
        const elapsed = (performance.now() - started) / 1000;
        const cpu = before && after ? cpuBetween(before, after) : null;
        const ours = cpu ? Object.values(cpu).reduce((a, b) => a + b, 0) : null;
        const othersBusy = ours !== null && machineBefore !== null && machineAfter !== null ? Math.max(0, (100 * (machineAfter - machineBefore - ours)) / (elapsed * os.availableParallelism())) : null;
        return { value, seconds: elapsed, cpu, othersBusy };
      };

      options.report(`warming up (${WARM_UP_SECONDS}s each path)`);
      for (const path of paths) await load(path.url, WARM_UP_SECONDS);
      for (let run = 1; run <= options.runs; run++) {
        // With one gateway the two paths take turns going first.
        const order = run % 2 === 1 ? paths : [...paths].reverse();
        options.report(`run ${run}/${options.runs}: ${order.map((p) => p.name).join(', then ')}, ${options.duration}s × ${options.connections} connections each`);
        for (const path of order) {
          const measured = await load(path.url, options.duration);
          main.add([path.name], row(measured.value));
          const cpuValues = cpuRow(measured, os.availableParallelism());
          if (cpuValues) cpu.add([path.name], [...cpuValues, measured.othersBusy]);
        }
      }
      if (gateways === GATEWAY_COUNTS.at(-1)) {
        const adminToken = await signUserToken(jwtSecret, { sub: 'bench', role: 'admin', tenant: null });
        for (let run = 1; run <= options.runs; run++) {
          options.report(`failover run ${run}/${options.runs}: ${options.connections} clients for ${options.duration}s, ${VICTIM} killed at ${options.duration / 2}s`);
          const measured = await failoverRun(stack, { url: nginx, headers, body, clients: options.connections, seconds: options.duration, adminToken });
          failover.add([`${options.connections} clients`], [measured.requests, measured.failed, measured.lost, measured.failedLater, measured.teardownMs, measured.p99Before, measured.p99Window, measured.p99After, measured.failingMs, measured.readySeconds]);
          for (const [kind, count] of Object.entries(measured.failures)) failureKinds[kind] = (failureKinds[kind] ?? 0) + count;
        }
      }
    } finally {
      await stack.stop();
    }
  }
  const tables = [main.build(), failover.build(), cpu.build()].filter((t) => t.rows.length > 0);
  return {
    mode,
    title: 'Load balancing and failover (`npx distrag bench lb`)',
    tables,
    notes: [throughputNote(tables[0]!, tables.find((t) => t.title === CPU_TABLE.title) ?? null), failoverNote(tables[1]!, failureKinds, options.runs)],
    method: [
      `Query \`${GATEWAY_BENCH_QUERY}\` (the gateway benchmark's), a reader token of tenant 1. A private stack per gateway count (${GATEWAY_COUNTS.join(', ')}), started with \`up\`'s NGINX configuration (round robin, \`max_fails=1 fail_timeout=5s\`, \`proxy_next_upstream error timeout http_502 http_503\`, 64 keep-alive upstream connections, one worker process) and ready once every node has its first base backup, so that no backup runs under the loads; the stacks run one after another, so rows of different gateway counts come from different stacks.`,
      `Throughput: autocannon in the benchmark process, ${options.connections} keep-alive connections for ${options.duration} s per path and run, after a ${WARM_UP_SECONDS} s warm-up of each path; with one gateway the path without NGINX (straight to the gateway) and the one through it take turns going first. Errors are connection errors, timeouts and non-2xx answers. The CPU table counts NGINX in "rest of the stack" and every gateway process in "gateway"; "other processes busy %" is the share of the machine's CPUs that processes outside the benchmark and its stack took meanwhile (/proc/stat less the benchmark's processes).`,
      `Failover: ${options.connections} closed-loop clients (undici, keep-alive, each sending its next request when the last is answered; bench/request-timeline.ts) for ${options.duration} s per run; at half time ${VICTIM} is killed with SIGKILL and the recovery watchdog, at its defaults (a check a second, 2 failed checks), starts it again. A request fails on a non-2xx answer, GraphQL errors or a network error. "Lost on the killed gateway": the requests NGINX had sent to it and got no answer for, from NGINX's error log (one line each). "ms until its port refused": from the signal until a connection to the gateway's port is refused — the kernel closes a killed process's sockets a little after the signal, and until then it still accepts connections. p99 before: requests answered before the kill; the window: requests sent in the ${FAILOVER_WINDOW_MS / 1000} s after it; after that: the rest of the run, which holds the watchdog's restart (a new gateway process starting and composing its schema takes CPU from the others). "ms until no errors": from the kill to the answer of the last failed request. "s until it serves again": from the kill until the new process answers its readiness check (the run may end before). Before the next run the benchmark waits until NGINX sends the restarted gateway requests again (it tries a failed server again after fail_timeout).`,
    ],
  };
}

function row(load: Load): number[] {
  return [load.requestsPerSecond, load.p50Ms, load.p99Ms, load.errors];
}

async function failoverRun(stack: PrivateStack, options: { url: string; headers: Record<string, string>; body: string; clients: number; seconds: number; adminToken: string }): Promise<FailoverRun> {
  const stop = new AbortController();
  const load = requestTimeline({ url: options.url, headers: options.headers, body: options.body, clients: options.clients, signal: stop.signal });
  let timeline: TimedRequest[];
  let killAt: number;
  let deadAt: number;
  let restarted: Promise<{ readyAt: number }>;
  const victim = gatewayNamed(stack, VICTIM);
  const nginxLogFrom = nginxLogSize(stack);
  try {
    await sleep((options.seconds * 1000) / 2);
    killAt = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    restarted = untilRestarted(stack, VICTIM, victim.pid);
    void restarted.catch(() => undefined); // awaited below; not an unhandled rejection if the run fails first
    deadAt = await untilRefused(victim);
    await sleep(Math.max(0, killAt + (options.seconds * 1000) / 2 - performance.now()));
  } finally {
    stop.abort();
    timeline = await load;
  }
  const { lost } = nginxUpstreamErrors(stack, victim, nginxLogFrom);
  const { readyAt } = await restarted;
  await untilServing(stack, options);
  const failed = summarize(timeline.filter((r) => r.failure));
  const later = sentBetween(timeline, killAt + FAILOVER_WINDOW_MS, Infinity);
  return {
    requests: timeline.length,
    failed: failed.requests,
    lost,
    teardownMs: deadAt - killAt,
    failures: failed.failures,
    failedLater: later.filter((r) => r.failure).length,
    p99Before: summarize(timeline.filter((r) => r.doneMs < killAt)).p99Ms,
    p99Window: summarize(sentBetween(timeline, killAt, killAt + FAILOVER_WINDOW_MS)).p99Ms,
    p99After: summarize(later).p99Ms,
    failingMs: failingFor(timeline, killAt),
    readySeconds: (readyAt - killAt) / 1000,
  };
}

/** Sends requests through NGINX until the restarted gateway answers some (NGINX tries it again after fail_timeout). */
async function untilServing(stack: PrivateStack, options: { url: string; headers: Record<string, string>; body: string; adminToken: string }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await graphqlRequestsOf(gatewayNamed(stack, VICTIM), options.adminToken)) === 0) {
    if (Date.now() > deadline) throw new Error(`NGINX sent ${VICTIM} no request within 60 s of its restart`);
    await Promise.all(Array.from({ length: 3 }, () => fetch(options.url, { method: 'POST', headers: options.headers, body: options.body }).then((r) => r.text())));
    await sleep(200);
  }
}

function throughputNote(main: BenchTable, cpuTable: BenchTable | null): string {
  const rps = (path: string) => main.rows.find((r) => r.key[0] === path)?.figures[0]?.median ?? NaN;
  const cpuColumn = (path: string, name: string) => cpuTable?.rows.find((r) => r.key[0] === path)?.figures[cpuTable.columns.findIndex((c) => c.name === name)]?.median;
  const cpus = os.availableParallelism();
  const one = rps(behindNginx(1));
  const gains = GATEWAY_COUNTS.slice(1).map((n) => ({ n, gain: rps(behindNginx(n)) / one }));
  const best = gains.reduce((a, b) => (b.gain > a.gain ? b : a));
  const busy = cpuColumn(behindNginx(1), 'machine busy %');
  const shared = `the load generator, NGINX, every gateway, the data subgraph and PostgreSQL share the machine's ${cpus} CPUs`;
  const verdict =
    best.gain < 1.1
      ? `More gateways add no throughput on this machine: ${shared}${busy === undefined ? '' : `, and with one gateway they already kept ${busy.toFixed(0)} % of them busy`}, so more gateway processes only split the same CPUs. Extra gateways pay for availability here (the failover table), and for throughput once they get CPUs of their own.`
      : `A gateway is one Node.js event loop, at most one CPU of ${cpus}: the most throughput came with ${best.n} gateways (${best.gain.toFixed(2)}×)${best.n < GATEWAY_COUNTS.at(-1)! ? `, more were no better — they only split the same CPUs` : ''}; the gain stays well below ${best.n}× because ${shared}.`;
  const gatewayCpu = GATEWAY_COUNTS.map((n) => cpuColumn(behindNginx(n), 'gateway'));
  const perRequest = gatewayCpu.every((v) => v !== undefined)
    ? ` The gateways' CPU per request grows with their number (${gatewayCpu.map((v, i) => `${v!.toFixed(0)} µs with ${GATEWAY_COUNTS[i]}`).join(', ')}), most likely because each process serves a share of the connections, so it does less per turn of its event loop and per system call, and the processes take turns on the same CPUs.`
    : '';
  const rest = (path: string) => cpuColumn(path, 'rest of the stack');
  const nginxCpu = rest(behindNginx(1)) !== undefined && rest(DIRECT) !== undefined ? ` NGINX itself costs about ${(rest(behindNginx(1))! - rest(DIRECT)!).toFixed(0)} µs of CPU per request ("rest of the stack" with it less without).` : '';
  const others = Math.max(...main.rows.map((r) => cpuColumn(r.key[0]!, OTHERS_BUSY) ?? 0));
  const noisy = ` Other processes on the machine took up to ${others.toFixed(0)} % of its CPUs during the loads (median of a path's runs)${others >= 10 ? ': those figures are lower and noisier than a quiet machine\'s' : ''}.`;
  return `Throughput through NGINX relative to one gateway (medians): ${gains.map((g) => `${g.n} gateways ${g.gain.toFixed(2)}×`).join(', ')}; NGINX in front of one gateway against none: ${(one / rps(DIRECT)).toFixed(2)}×. ${verdict}${perRequest}${nginxCpu}${noisy}`;
}

function failoverNote(table: BenchTable, kinds: Record<string, number>, runs: number): string {
  const column = (name: string) => table.rows[0]?.figures[table.columns.findIndex((c) => c.name === name)] ?? null;
  const total = (name: string) => column(name)?.runs.reduce((a, b) => a + b, 0) ?? 0;
  const failed = column('failed');
  const failing = column('ms until no errors');
  const kindText = Object.keys(kinds).length === 0 ? 'none' : Object.entries(kinds).map(([k, n]) => `${n} × ${k}`).join(', ');
  const lost = total('lost on the killed gateway (NGINX log)');
  return (
    `Failover, ${runs} kill${runs === 1 ? '' : 's'}: median ${failed?.median ?? 0} failed requests per kill (at most ${failed?.max ?? 0}); by kind over all runs: ${kindText}; NGINX's log counts ${lost} requests lost on the killed gateway against ${total('failed')} failures at the clients. ` +
    `Those are the requests the gateway held when its sockets closed — including some NGINX sent it after the signal, while the dying process still accepted connections: NGINX does not send a POST again once a gateway received it (non-idempotent) and answers 502; connections refused afterwards go to the next gateway, and max_fails=1 takes the gateway out of the rotation for fail_timeout (5 s) at its first error. ` +
    `Errors stopped at most ${(failing?.max ?? 0).toFixed(0)} ms after the kill; requests sent more than ${FAILOVER_WINDOW_MS / 1000} s after it that failed, over all runs: ${total(`failed, sent after the first ${FAILOVER_WINDOW_MS / 1000} s`)}.`
  );
}
