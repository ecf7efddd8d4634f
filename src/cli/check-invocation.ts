import { CliError } from './cli-error.js';
import { parseBackupArgs } from './commands/backup.js';
import { parseMigrateArgs } from './commands/migrate.js';
import { parseRecoverArgs } from './commands/recover.js';
import { parseServeArgs } from './commands/serve.js';

/**
 * The commands containers run (compose.yaml, the Kubernetes manifests), each with the parser its
 * command uses: an invocation they accept is one the CLI runs.
 */
const CONTAINER_COMMANDS: Readonly<Record<string, (args: string[]) => unknown>> = {
  serve: parseServeArgs,
  migrate: parseMigrateArgs,
  backup: parseBackupArgs,
  recover: parseRecoverArgs,
};

/** Null when `distrag <args>` is a valid container command line, else why not. Runs nothing. */
export function checkCliInvocation(args: readonly string[]): string | null {
  const [name, ...rest] = args;
  const parse = name === undefined ? undefined : CONTAINER_COMMANDS[name];
  if (!parse) return `"${name ?? ''}" is not a command containers run (${Object.keys(CONTAINER_COMMANDS).join(', ')})`;
  try {
    parse(rest);
    return null;
  } catch (error) {
    if (error instanceof CliError) return error.message;
    throw error;
  }
}
