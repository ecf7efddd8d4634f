import type { Config } from '../../config/config.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';
import { fillOpsEnvFromStack, untilSignal } from './ops-env.js';

/** The flags, checked (also by checkCliInvocation, without running anything). */
export function parseRecoverArgs(args: string[]): void {
  const { values } = parseFlags('recover', args, { watch: { type: 'boolean' } });
  if (!values.watch) throw new CliError('distrag recover: only `recover --watch` exists (the watchdog); to restore one node by hand use the restoreNode mutation', 2);
}

/** `distrag recover --watch`: the recovery watchdog and the operations API, until Ctrl-C. */
export async function recoverCommand(args: string[], config: Config): Promise<number> {
  parseRecoverArgs(args);
  fillOpsEnvFromStack(config, 'recover --watch');
  const { runRecoveryDaemon } = await import('../../recovery/main.js');
  await runRecoveryDaemon();
  return untilSignal();
}
