import type { Config } from '../../config/config.js';
import { BENCHMARKS, runBenchmark } from '../../../bench/run-benchmark.js';
import { publishResults } from '../../../bench/write-results.js';
import type { ClusterMode } from '../../db/bootstrap/migrations.js';
import { findPostgresBinaries } from '../../stack/postgres-binaries.js';
import { CliError } from '../cli-error.js';
import { parseCount, parseFlags } from '../parse-flags.js';

/** Measured runs of every figure: the median and range of 3 runs is the least a table should show. */
const DEFAULT_RUNS = 3;
/** Seconds of each timed load: chosen so that `bench all` in both modes stays within about a quarter of an hour on 2 cores. */
const DEFAULT_DURATION = 8;
const DEFAULT_CONNECTIONS = 32;

/**
 * `distrag bench [NAME|all] [--mode single|citus|both] [--runs N] [--duration SECONDS] [--connections N]`:
 * runs on private stacks (both modes by default when Citus is installed), writes
 * bench/results/NAME.<mode>.json, then NAME.{md,json} and the README's tables from the result files.
 * `distrag bench --readme [NAME…]` only rewrites those from the result files already there.
 */
export async function benchCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags(
    'bench',
    args,
    { duration: { type: 'string' }, connections: { type: 'string' }, mode: { type: 'string' }, runs: { type: 'string' }, readme: { type: 'boolean' } },
    Object.keys(BENCHMARKS).length,
  );
  const names = positionals.length > 0 && positionals[0] !== 'all' ? positionals : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!(name in BENCHMARKS)) throw new CliError(`distrag bench: unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`, 2);
  }
  if (values.readme) {
    if (values.duration !== undefined || values.connections !== undefined || values.mode !== undefined || values.runs !== undefined) {
      throw new CliError('distrag bench --readme only rewrites the tables from bench/results/; it takes no --mode, --runs, --duration or --connections', 2);
    }
    for (const file of publishResults(names)) console.error(`distrag bench: wrote ${file}`);
    return 0;
  }
  const runs = parseCount('bench', 'runs', values.runs, DEFAULT_RUNS, 1, 50);
  const connections = parseCount('bench', 'connections', values.connections, DEFAULT_CONNECTIONS, 1, 1024);
  const duration = values.duration === undefined ? DEFAULT_DURATION : Number(values.duration);
  if (!(duration >= 1 && duration <= 600)) throw new CliError('distrag bench: --duration must be 1-600 seconds', 2);
  const citus = findPostgresBinaries(config).citusAvailable;
  const wanted = values.mode ?? (citus ? 'both' : 'single');
  if (!['single', 'citus', 'both'].includes(wanted)) throw new CliError('distrag bench: --mode is single, citus or both', 2);
  if (wanted !== 'single' && !citus) throw new CliError('distrag bench: --mode citus needs the citus extension; install it with `npx distrag install-citus`', 2);
  const modes: ClusterMode[] = wanted === 'both' ? ['SINGLE', 'CITUS'] : [wanted === 'citus' ? 'CITUS' : 'SINGLE'];
  if (runs < 3) console.error(`distrag bench: ${runs} run${runs === 1 ? '' : 's'} per figure; the tables will flag the result as not one to quote (3 or more runs are)`);
  const started = Date.now();
  for (const name of names) {
    for (const mode of modes) {
      const report = (line: string) => console.error(`distrag bench ${name} (${mode}): ${line}`);
      const files = await runBenchmark(name, { config, mode, runs, duration, connections, report });
      report(`wrote ${files.join(', ')}`);
    }
  }
  console.error(`distrag bench: ${names.join(', ')} in ${modes.join(' and ')} took ${Math.round((Date.now() - started) / 1000)} s`);
  return 0;
}
