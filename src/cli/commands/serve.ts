import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../../config/config.js';
import { distDir } from '../../paths.js';
import { CliError } from '../cli-error.js';
import { parseFlags } from '../parse-flags.js';
import { untilSignal } from './ops-env.js';

/** Each long-running service and its module in dist/ (the module starts the service when loaded). */
export const SERVED = {
  gateway: 'gateway/main.js',
  data: 'subgraphs/data/main.js',
  rag: 'subgraphs/rag/main.js',
  cache: 'subgraphs/cache/main.js',
  cluster: 'subgraphs/cluster/main.js',
  feed: 'src/feed/main.js',
} as const;

export type ServedName = keyof typeof SERVED;

export function isServedName(name: string): name is ServedName {
  return Object.hasOwn(SERVED, name);
}

export const SERVE_USAGE = `distrag serve <${Object.keys(SERVED).join('|')}>`;

/** The service named, checked (also by checkCliInvocation, without running anything). */
export function parseServeArgs(args: string[]): ServedName {
  const { positionals } = parseFlags('serve', args, {}, 1);
  const [name] = positionals;
  if (name === undefined || !isServedName(name)) {
    throw new CliError(`${SERVE_USAGE}: ${name === undefined ? 'which service?' : `no service "${name}"`}`, 2);
  }
  return name;
}

/**
 * `distrag serve NAME`: runs one service in this process until SIGTERM/SIGINT. Its settings come
 * from the environment (DISTRAG_SERVICE_PORT and its own credentials), as `up`, compose.yaml and
 * the Kubernetes manifests give them.
 */
export async function serveCommand(args: string[], _config: Config): Promise<number> {
  const name = parseServeArgs(args);
  await import(pathToFileURL(path.join(distDir, SERVED[name])).href);
  return untilSignal();
}
