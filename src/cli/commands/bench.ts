import type { Config } from '../../config/config.js';
import { BENCHMARKS, runBenchmark } from '../../../bench/run-benchmark.js';
import type { ClusterMode } from '../../db/bootstrap/migrations.js';
import { findPostgresBinaries } from '../../stack/postgres-binaries.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/**
 * `distrag bench [NAME|all] [--mode single|citus|both] [--duration SECONDS] [--connections N]`: runs
 * on private stacks (both modes by default when Citus is installed), writes bench/results/NAME.{md,json}.
 */
export async function benchCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags('bench', args, { duration: { type: 'string' }, connections: { type: 'string' }, mode: { type: 'string' } }, Object.keys(BENCHMARKS).length);
  const names = positionals.length > 0 && positionals[0] !== 'all' ? positionals : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!(name in BENCHMARKS)) throw new CliError(`distrag bench: unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`, 2);
  }
  const duration = values.duration === undefined ? 10 : Number(values.duration);
  const connections = values.connections === undefined ? 32 : Number(values.connections);
  if (!(duration > 0 && duration <= 600)) throw new CliError('distrag bench: --duration must be 1-600 seconds', 2);
  if (!(Number.isInteger(connections) && connections > 0 && connections <= 1024)) throw new CliError('distrag bench: --connections must be 1-1024', 2);
  const citus = findPostgresBinaries(config).citusAvailable;
  const wanted = values.mode ?? (citus ? 'both' : 'single');
  if (!['single', 'citus', 'both'].includes(wanted)) throw new CliError('distrag bench: --mode is single, citus or both', 2);
  if (wanted !== 'single' && !citus) throw new CliError('distrag bench: --mode citus needs the citus extension; install it with `npx distrag install-citus`', 2);
  const modes: ClusterMode[] = wanted === 'both' ? ['SINGLE', 'CITUS'] : [wanted === 'citus' ? 'CITUS' : 'SINGLE'];
  for (const name of names) {
    for (const mode of modes) {
      await runBenchmark(name, { config, mode, duration, connections, report: (line) => console.error(`distrag bench ${name} (${mode}): ${line}`) });
    }
  }
  return 0;
}
