import { IDENTITY_HEADER, signForwardedIdentity } from '../src/auth/forwarded-identity.js';
import { signUserToken } from '../src/auth/user-token.js';
import { startPrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import type { BenchOutcome } from './bench-result.js';
import { benchStackEnv } from './bench-stack-env.js';
import { BenchTableBuilder } from './bench-table-builder.js';
import { httpLoad } from './http-load.js';
import type { BenchmarkOptions } from './run-benchmark.js';
import { StackProbe } from './stack-probe.js';
import { CPU_TABLE, cpuRow, TIME_TABLE, timeRow } from './time-breakdown.js';

/** One PostgreSQL read (a reference table under Citus): what a light request through the gateway costs. */
export const GATEWAY_BENCH_QUERY = '{ universities(limit: 10) { universityId name city } }';
const WARM_UP_SECONDS = 2;
/** The goal: gateway throughput at least this share of the data subgraph's own. */
const GOAL_RATIO = 0.5;

/**
 * One simple query straight to the data subgraph and through the gateway, same load each, the two
 * paths alternating run after run.
 */
export async function gatewayBenchmark(options: BenchmarkOptions): Promise<BenchOutcome> {
  options.report('starting a private stack');
  const stack = await startPrivateStack({ prefix: 'distrag-bench', env: benchStackEnv(options.mode, { DISTRAG_SEED_SCALE: '0.5' }), report: options.report });
  try {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const identity = { sub: 'bench', role: 'reader' as const, tenant: '1' };
    const token = await signUserToken(secrets.jwtSecret, identity);
    const subgraphUrl = `http://${stack.config.DISTRAG_HOST}:${stack.config.DISTRAG_DATA_PORT}/graphql`;
    const body = JSON.stringify({ query: GATEWAY_BENCH_QUERY });
    const { duration, connections } = options;
    // The forwarded identity lives minutes: signed again for each load.
    const direct = (seconds: number) => httpLoad({ url: subgraphUrl, headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signForwardedIdentity(secrets.internalSecret, identity).value }, body, duration: seconds, connections });
    const viaGateway = (seconds: number) => httpLoad({ url: stack.info.urls.graphql, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, duration: seconds, connections });
    const probe = await StackProbe.forStack(stack);

    options.report(`warming up (${WARM_UP_SECONDS}s each path)`);
    await direct(WARM_UP_SECONDS);
    await viaGateway(WARM_UP_SECONDS);

    const main = new BenchTableBuilder({ title: null, keyColumns: ['path'], columns: [{ name: 'req/s', digits: 0 }, { name: 'p50 ms', digits: 2 }, { name: 'p99 ms', digits: 2 }, { name: 'errors', digits: 0 }] });
    const ratios = new BenchTableBuilder({ title: 'Ratios within each run', keyColumns: ['ratio'], columns: [{ name: 'req/s', digits: 2 }, { name: 'p50', digits: 2 }, { name: 'p99', digits: 2 }] });
    const time = new BenchTableBuilder({ ...TIME_TABLE, keyColumns: ['path'] });
    const cpu = new BenchTableBuilder({ ...CPU_TABLE, keyColumns: ['path'] });
    for (let run = 1; run <= options.runs; run++) {
      options.report(`run ${run}/${options.runs}: direct to the data subgraph, then through the gateway, ${duration}s × ${connections} connections each`);
      const d = await probe.around(() => direct(duration));
      const g = await probe.around(() => viaGateway(duration));
      for (const [name, entry, probed] of [['data subgraph direct', 'data subgraph', d], ['through the gateway', 'gateway', g]] as const) {
        main.add([name], [probed.value.requestsPerSecond, probed.value.p50Ms, probed.value.p99Ms, probed.value.errors]);
        time.add([name], timeRow(entry, probed));
        const cpuValues = cpuRow(probed, probe.cpus);
        if (cpuValues) cpu.add([name], cpuValues);
      }
      ratios.add(['gateway / direct'], [g.value.requestsPerSecond / d.value.requestsPerSecond, g.value.p50Ms / d.value.p50Ms, g.value.p99Ms / d.value.p99Ms]);
    }
    const ratioTable = ratios.build();
    const ratio = ratioTable.rows[0]!.figures[0]!;
    return {
      mode: stack.info.mode,
      title: 'Gateway overhead (`npx distrag bench gateway`)',
      tables: [main.build(), ratioTable, time.build(), cpu.build()].filter((t) => t.rows.length > 0),
      notes: [`gateway / direct throughput: median ${ratio.median.toFixed(2)} over ${ratio.runs.length} runs, lowest ${ratio.min.toFixed(2)} (goal ≥ ${GOAL_RATIO}: ${ratio.min >= GOAL_RATIO ? 'met in every run' : ratio.median >= GOAL_RATIO ? 'met by the median, not in every run' : 'not met'}).`],
      method: [
        `Query \`${GATEWAY_BENCH_QUERY}\` (one PostgreSQL read; a reference table under Citus), POSTed by autocannon in the benchmark process over ${connections} keep-alive connections for ${duration} s per path and run, after a ${WARM_UP_SECONDS} s warm-up of each path; the two paths alternate run after run. Direct calls carry the signed identity the gateway would forward; gateway calls a reader token of tenant 1.`,
        'Ratios are taken within each run (gateway run over the direct run just before it), then summarised over the runs. Latency percentiles at full resolution; errors are connection errors, timeouts and non-2xx answers.',
        `Goal: gateway throughput ≥ ${GOAL_RATIO} × direct. The load generator, the gateway, the subgraphs and PostgreSQL share the machine's CPUs, so where the CPU goes per request decides the throughput of a saturated machine.`,
      ],
    };
  } finally {
    await stack.stop();
  }
}
