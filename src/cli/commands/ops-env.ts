import type { Config } from '../../config/config.js';
import { formatNodeList } from '../../config/node-list.js';
import { readSecrets } from '../../stack/secrets.js';
import { readStackInfo } from '../../stack/stack-info.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';

/**
 * `backup --watch` and `recover --watch` run as processes of their own: under `up` (or compose)
 * their settings come from the environment; started by hand next to a running stack, whatever is
 * not set is taken from that stack (its admin URL, internal secret, Redis and nodes).
 */
export function fillOpsEnvFromStack(config: Config, command: string): void {
  const env = process.env;
  if (env.DISTRAG_DATABASE_URL && env.DISTRAG_INTERNAL_SECRET && env.DISTRAG_REDIS_URL) return;
  const layout = stackLayout(config.home);
  const info = readStackInfo(layout.stackFile);
  if (!info) throw new CliError(`distrag ${command}: no running stack in ${config.home} and DISTRAG_DATABASE_URL, DISTRAG_INTERNAL_SECRET, DISTRAG_REDIS_URL are not all set; start one with \`npx distrag up --detach\` or set them`);
  const secrets = readSecrets(layout.secretsFile, config);
  env.DISTRAG_DATABASE_URL ??= info.urls.postgres;
  env.DISTRAG_INTERNAL_SECRET ??= secrets.internalSecret;
  env.DISTRAG_REDIS_URL ??= info.urls.redis;
  env.DISTRAG_BACKUP_NODES ??= formatNodeList(info.nodes);
}

/** A daemon runs until SIGINT/SIGTERM (its own handler exits the process). */
export const untilSignal = () => new Promise<number>(() => undefined);
