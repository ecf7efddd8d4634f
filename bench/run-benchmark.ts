import type { Config } from '../src/config/config.js';
import type { ClusterMode } from '../src/db/bootstrap/migrations.js';
import { askBenchmark } from './ask-benchmark.js';
import { RESULT_FORMAT, type BenchOutcome, type BenchResult } from './bench-result.js';
import { cacheBenchmark } from './cache-benchmark.js';
import { dataBenchmark } from './data-benchmark.js';
import { eventsBenchmark } from './events-benchmark.js';
import { gatewayBenchmark } from './gateway-benchmark.js';
import { lbBenchmark } from './lb-benchmark.js';
import { recoveryBenchmark } from './recovery-benchmark.js';
import { benchMachine, MEASURED_CODE, saveResult } from './write-results.js';

export interface BenchmarkOptions {
  config: Config;
  /** The private stack's mode: SINGLE (DISTRAG_CITUS=off) or CITUS (on). */
  mode: ClusterMode;
  /** Measured runs of every figure (the stack is started once; each run measures every path again). */
  runs: number;
  /** Seconds of each timed load. */
  duration: number;
  connections: number;
  report: (line: string) => void;
}

/** Every benchmark `npx distrag bench NAME` knows, in the order `bench all` runs them. */
export const BENCHMARKS: Record<string, (options: BenchmarkOptions) => Promise<BenchOutcome>> = {
  gateway: gatewayBenchmark,
  lb: lbBenchmark,
  data: dataBenchmark,
  events: eventsBenchmark,
  cache: cacheBenchmark,
  ask: askBenchmark,
  recovery: recoveryBenchmark,
};

/** Runs one benchmark in one mode and saves its result (see `saveResult`); returns the files written. */
export async function runBenchmark(name: string, options: BenchmarkOptions): Promise<string[]> {
  const benchmark = BENCHMARKS[name];
  if (!benchmark) throw new Error(`unknown benchmark ${name}`);
  const started = process.hrtime.bigint();
  const outcome = await benchmark(options);
  const result: BenchResult = {
    format: RESULT_FORMAT,
    benchmark: name,
    mode: outcome.mode,
    title: outcome.title,
    ...MEASURED_CODE,
    date: new Date().toISOString(),
    elapsedSeconds: Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10,
    machine: benchMachine(),
    settings: { runs: options.runs, durationSeconds: options.duration, connections: options.connections },
    tables: outcome.tables,
    notes: outcome.notes,
    method: outcome.method,
  };
  return saveResult(result);
}
