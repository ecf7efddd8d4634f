import type { Config } from '../../config/config.js';
import { stopStack } from '../../stack/stack-control.js';
import { parseFlags } from '../parse-flags.js';

/** `distrag down` */
export async function downCommand(args: string[], config: Config): Promise<number> {
  parseFlags('down', args, {});
  const stopped = await stopStack(config, (line) => console.error(`distrag: ${line}`));
  console.error(stopped === 0 ? 'distrag: nothing was running' : `distrag: stopped ${stopped} processes; data kept in ${config.home}`);
  return 0;
}
