import type { Config } from '../src/config/config.js';
import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import { dataBenchmark } from './data-benchmark.js';
import { eventsBenchmark } from './events-benchmark.js';
import { gatewayBenchmark } from './gateway-benchmark.js';

export interface BenchmarkOptions {
  config: Config;
  /** The private stack's mode: SINGLE (DISTRAG_CITUS=off) or CITUS (on). */
  mode: ClusterMode;
  duration: number;
  connections: number;
  report: (line: string) => void;
}

/** Every benchmark `npx distrag bench NAME` knows. */
export const BENCHMARKS: Record<string, (options: BenchmarkOptions) => Promise<void>> = {
  gateway: gatewayBenchmark,
  data: dataBenchmark,
  events: eventsBenchmark,
};

export async function runBenchmark(name: string, options: BenchmarkOptions): Promise<void> {
  const benchmark = BENCHMARKS[name];
  if (!benchmark) throw new Error(`unknown benchmark ${name}`);
  await benchmark(options);
}

