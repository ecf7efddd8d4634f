import type { BenchColumn } from './bench-result.js';
import type { Load } from './load.js';
import { CPU_GROUPS } from './process-cpu.js';
import type { HistogramTotal } from './service-metrics.js';
import type { Probed } from './stack-probe.js';

/** Title and columns of the table that splits a request's wall time by the services' own histograms. */
export const TIME_TABLE = {
  title: 'Where a request’s time went: mean ms per request, from the services’ Prometheus histograms (each stage’s time less the next one’s)',
  columns: [
    { name: 'end to end (client)', digits: 2 },
    { name: 'outside the handlers (client, kernel, queues)', digits: 2 },
    { name: 'gateway', digits: 2 },
    { name: 'data subgraph', digits: 2 },
    { name: 'SQL statement (pool, transaction, PostgreSQL)', digits: 2 },
  ] satisfies BenchColumn[],
};

/**
 * One run's split of the mean request (entry: the service the load calls): end to end at the
 * client, less the entry's HTTP handler time; the gateway's handler less the data subgraph's; the
 * data subgraph's handler less its SQL statements (distrag_data_statement_duration_seconds); the
 * statements. Each stage counts as its mean per call times its calls per entry request (rounded),
 * so that requests cut off when the load stops — recorded by some stages and not others — do not
 * skew the split.
 */
export function timeRow(entry: 'gateway' | 'data subgraph', probed: Probed<Load>): Array<number | null> {
  const { gatewayHttp, dataHttp, dataStatements } = probed.metrics;
  const requests = entry === 'gateway' ? gatewayHttp.count : dataHttp.count;
  if (requests === 0 || dataHttp.count === 0 || dataStatements.count === 0) return TIME_TABLE.columns.map(() => null);
  const perRequest = (stage: HistogramTotal) => ((stage.sum * 1000) / stage.count) * Math.max(1, Math.round(stage.count / requests));
  const gateway = entry === 'gateway' ? perRequest(gatewayHttp) : null;
  const data = perRequest(dataHttp);
  const statements = perRequest(dataStatements);
  return [probed.value.meanMs, probed.value.meanMs - (gateway ?? data), gateway === null ? null : gateway - data, data - statements, statements];
}

/** Title and columns of the table of CPU time per request, by process group (/proc). */
export const CPU_TABLE = {
  title: 'Where the CPU went: µs of CPU per request, by process (user + system time from /proc; the load generator is the benchmark process)',
  columns: [...CPU_GROUPS.map((name) => ({ name, digits: 0 })), { name: 'all', digits: 0 }, { name: 'machine busy %', digits: 0 }] satisfies BenchColumn[],
};

/** One run's CPU per request of each group, their total, and how busy they kept the machine's CPUs. */
export function cpuRow(probed: Pick<Probed<Load>, 'value' | 'seconds' | 'cpu'>, cpus: number): Array<number | null> | null {
  const { cpu } = probed;
  if (cpu === null || probed.value.completed === 0) return null;
  const perRequest = (seconds: number) => (seconds * 1e6) / probed.value.completed;
  const all = CPU_GROUPS.reduce((sum, g) => sum + cpu[g], 0);
  return [...CPU_GROUPS.map((g) => perRequest(cpu[g])), perRequest(all), (100 * all) / (probed.seconds * cpus)];
}
