import type { Config } from '../../config/config.js';
import { ALL_SERVICE_DB_ROLES, rolePassword } from '../../db/api-roles.js';
import { readSecrets } from '../../stack/secrets.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { parseFlags } from '../parse-flags.js';

/**
 * `distrag db-credentials`: the service roles' passwords as `.env` lines (compose.yaml gives each
 * service only its own). They are derived from the admin password — DISTRAG_PG_PASSWORD, or the
 * embedded stack's — the same way `up` sets them when it creates the roles.
 */
export async function dbCredentialsCommand(args: string[], config: Config): Promise<number> {
  parseFlags('db-credentials', args, {});
  const adminPassword = config.DISTRAG_PG_PASSWORD ?? readSecrets(stackLayout(config.home).secretsFile, config).pgPassword;
  for (const role of ALL_SERVICE_DB_ROLES) process.stdout.write(`${passwordVariable(role)}=${rolePassword(adminPassword, role)}\n`);
  return 0;
}

/** `distrag_reader` → `DISTRAG_READER_DB_PASSWORD`: the variable compose.yaml reads. */
export function passwordVariable(role: string): string {
  return `${role.toUpperCase()}_DB_PASSWORD`;
}
