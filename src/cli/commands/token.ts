import type { Config } from '../../config/config.js';
import { isRole, TENANT_PATTERN } from '../../auth/identity.js';
import { signUserToken } from '../../auth/user-token.js';
import { readSecrets } from '../../stack/secrets.js';
import { stackLayout } from '../../stack/stack-layout.js';
import { CliError } from '../cli-error.js';
import { parseCount, parseFlags } from '../parse-flags.js';

/** `distrag token --role reader|writer|admin [--tenant T] [--sub S] [--ttl SECONDS]`: prints the bare token. */
export async function tokenCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags('token', args, { role: { type: 'string' }, tenant: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } });
  if (!isRole(values.role)) throw new CliError('distrag token: --role must be reader, writer or admin', 2);
  if (values.tenant !== undefined && !TENANT_PATTERN.test(values.tenant)) throw new CliError('distrag token: --tenant must be 1-64 letters, digits, _ or -', 2);
  if (values.role !== 'admin' && values.tenant === undefined) throw new CliError(`distrag token: --tenant is required for role ${values.role}`, 2);
  const ttl = parseCount('token', 'ttl', values.ttl, 30 * 24 * 3600, 60, 365 * 24 * 3600);
  const secret = config.DISTRAG_JWT_SECRET ?? readSecrets(stackLayout(config.home).secretsFile, config).jwtSecret;
  const token = await signUserToken(secret, { sub: values.sub ?? `cli-${values.role}`, role: values.role, tenant: values.tenant ?? null }, ttl);
  process.stdout.write(`${token}\n`);
  return 0;
}
