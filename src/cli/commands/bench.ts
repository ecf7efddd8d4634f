import type { Config } from '../../config/config.js';
import { BENCHMARKS, runBenchmark } from '../../../bench/run-benchmark.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/** `distrag bench [NAME] [--duration SECONDS] [--connections N]`: runs on a private stack, writes bench/results/NAME.{md,json}. */
export async function benchCommand(args: string[], config: Config): Promise<number> {
  const { values, positionals } = parseFlags('bench', args, { duration: { type: 'string' }, connections: { type: 'string' } }, 1);
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!(name in BENCHMARKS)) throw new CliError(`distrag bench: unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`, 2);
  }
  const duration = values.duration === undefined ? 10 : Number(values.duration);
  const connections = values.connections === undefined ? 32 : Number(values.connections);
  if (!(duration > 0 && duration <= 600)) throw new CliError('distrag bench: --duration must be 1-600 seconds', 2);
  if (!(Number.isInteger(connections) && connections > 0 && connections <= 1024)) throw new CliError('distrag bench: --connections must be 1-1024', 2);
  for (const name of names) await runBenchmark(name, { config, duration, connections, report: (line) => console.error(`distrag bench: ${line}`) });
  return 0;
}
